/*
 * flow: VPC Flow Log records to JSON documents (include/flow.h).
 *
 * A pure core: no I/O, no clock, no allocation per record. flow_encode()
 * reserves room once in the caller's buf (a bound computed from the record
 * length) and then writes with pointer arithmetic. Fields are found with
 * 64-bit space masks (SSE2 when there is), numbers are validated 8 digits
 * at a time and written as their own canonical digits, timestamps come
 * from a days-to-civil conversion, member names are fixed-size literals.
 * Scalar fallbacks keep it portable.
 *
 * Records: fields separated by runs of spaces (leading and trailing spaces
 * too); trailing CR/LF ignored; "-" means absent and the member is omitted.
 * Field types: integer with a range (version 0-255, srcport/dstport 0-65535,
 * protocol 0-255, tcp-flags 0-65535, start/end 0-253402300799, traffic-path
 * and encryption-status 0-255), 64-bit counter (packets, bytes: up to
 * 2^63-1, as Elasticsearch's long and most JSON parsers are signed), IP
 * address (srcaddr, dstaddr, pkt-srcaddr, pkt-dstaddr: IPv4 dotted quad
 * without leading zeros, or IPv6 text form of RFC 4291 incl. "::" and an
 * embedded IPv4 tail, no zone), string (everything else; account-id too,
 * because of its leading zeros).
 *
 * Style "logzio" (flat, the Logz.io Lambda shipper's names):
 *   @timestamp	ISO-8601 UTC with ms: start, else meta timestamp_ms
 *   message	raw record without CR/LF (unless include_message = 0)
 *   <fields>	in record order, AWS name with '-' -> '_', log-status ->
 *		logstatus, and type -> traffic_type (a "type" member would
 *		override the listener's type parameter in Logz.io, so IPv4
 *		records would stop being of log type "vpcflow"); integers and
 *		counters are JSON numbers
 *   protocol_name	IANA keyword of protocol (ICMPv6 is "IPv6-ICMP",
 *		OSPF is "OSPFIGP", as in the IANA registry); none if unassigned
 *   tcp_flag_names	["FIN","SYN","RST","PSH","ACK","URG","ECE","CWR"]
 *		subset, in bit order, from tcp-flags
 *   duration	end - start in seconds, when both present and end >= start
 *   ip_version	4 or 6, from srcaddr, else from dstaddr
 *   log_group, log_stream, event_id	from meta, omitted when NULL
 *   <add_json>	the caller's pre-rendered members, verbatim
 *
 * Style "ecs" (Elastic Common Schema 8.11, nested objects, no dots in keys;
 * each AWS field appears once, at its ECS place if it has one, else under
 * aws.vpcflow; action appears both raw and normalised):
 *   @timestamp, message	as above
 *   ecs		{version:"8.11.0"}
 *   event		{kind:"event", category:["network"],
 *			 type:["connection"(, "allowed" | "denied")],
 *			 action: "accept" | "reject" | raw action,
 *			 outcome: "success" (ACCEPT) | "failure" (REJECT),
 *			 start, end (ISO-8601), duration (ns)}
 *   source		{ip: srcaddr, port: srcport}
 *   destination	{ip: dstaddr, port: dstport}
 *   network		{transport: lowercase IANA keyword, iana_number: "6",
 *			 bytes, packets, type: "ipv4" | "ipv6" (srcaddr, else
 *			 dstaddr), direction: flow-direction}
 *   cloud		{provider:"aws", account:{id}, region, instance:{id}}
 *   aws		{vpcflow:{version, interface_id, action, log_status,
 *			 vpc_id, subnet_id, tcp_flags, tcp_flag_names, type,
 *			 pkt_srcaddr, pkt_dstaddr, az_id, sublocation_type,
 *			 sublocation_id, pkt_src_aws_service,
 *			 pkt_dst_aws_service, traffic_path, ecs_*,
 *			 reject_reason, resource_id,
 *			 encryption_status},
 *			 cloudwatch:{log_group, log_stream, event_id}}
 *   <add_json>
 *   Empty objects are left out.
 *
 * Records that do not parse (wrong field count, not a number, out of range,
 * not an IP address): flow_encode() returns 1 and writes
 *   logzio: @timestamp (meta only), message (always), tags:
 *	["_vpcflow_parse_error"], parse_error: "field 7 (dstport): not a
 *	number" / "expected 14 fields, got 13", log_group, log_stream,
 *	event_id, <add_json>
 *   ecs: @timestamp, message, tags, error:{message}, ecs:{version},
 *	event:{kind:"pipeline_error"}, aws:{cloudwatch:{...}}, <add_json>
 */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flow.h"
#include "log.h"

enum field_type {
	T_STR,		/* JSON string, escaped */
	T_INT,		/* integer 0..max, JSON number */
	T_U64,		/* 64-bit counter, JSON number */
	T_IP		/* IPv4 or IPv6 address, JSON string */
};

/* Field ids: indices into field_defs, in the order of the AWS table. */
enum field_id {
	F_VERSION, F_ACCOUNT_ID, F_INTERFACE_ID, F_SRCADDR, F_DSTADDR,
	F_SRCPORT, F_DSTPORT, F_PROTOCOL, F_PACKETS, F_BYTES, F_START, F_END,
	F_ACTION, F_LOG_STATUS,					/* version 2 */
	F_VPC_ID, F_SUBNET_ID, F_INSTANCE_ID, F_TCP_FLAGS, F_TYPE,
	F_PKT_SRCADDR, F_PKT_DSTADDR,				/* 3 */
	F_REGION, F_AZ_ID, F_SUBLOCATION_TYPE, F_SUBLOCATION_ID,	/* 4 */
	F_PKT_SRC_AWS_SERVICE, F_PKT_DST_AWS_SERVICE, F_FLOW_DIRECTION,
	F_TRAFFIC_PATH,						/* 5 */
	F_ECS_CLUSTER_ARN, F_ECS_CLUSTER_NAME, F_ECS_CONTAINER_INSTANCE_ARN,
	F_ECS_CONTAINER_INSTANCE_ID, F_ECS_CONTAINER_ID,
	F_ECS_SECOND_CONTAINER_ID, F_ECS_SERVICE_NAME,
	F_ECS_TASK_DEFINITION_ARN, F_ECS_TASK_ARN, F_ECS_TASK_ID,	/* 7 */
	F_REJECT_REASON,					/* 8 */
	F_RESOURCE_ID, F_ENCRYPTION_STATUS,			/* newer */
	F_NFIELDS
};

#define BIT(id)		((uint64_t)1 << (id))

/*
 * Member names are fixed-size arrays so that they are copied with one
 * constant-size move (KEY_COPY bytes, the reservation has room for it).
 */
#define KEY_COPY	32

struct field_def {
	const char	*name;		/* AWS name, "log-status" */
	char		 key[KEY_COPY];	/* logzio member: "\"logstatus\":" */
	char		 vkey[KEY_COPY]; /* member name under ECS aws.vpcflow */
	uint64_t	 max;		/* numbers: largest accepted value */
	uint8_t		 name_len;
	uint8_t		 key_len;
	uint8_t		 vkey_len;
	uint8_t		 type;
};

#define FIELD(id, aws, lz, vf, t, mx) [id] = { aws, "\"" lz "\":", \
	"\"" vf "\":", mx, sizeof(aws) - 1, sizeof(lz) + 2, sizeof(vf) + 2, t }
#define MAX_TIME	253402300799ULL	/* 9999-12-31T23:59:59Z */

static const struct field_def field_defs[F_NFIELDS] = {
	FIELD(F_VERSION, "version", "version", "version", T_INT, 255),
	FIELD(F_ACCOUNT_ID, "account-id", "account_id", "account_id", T_STR, 0),
	FIELD(F_INTERFACE_ID, "interface-id", "interface_id", "interface_id",
	    T_STR, 0),
	FIELD(F_SRCADDR, "srcaddr", "srcaddr", "srcaddr", T_IP, 0),
	FIELD(F_DSTADDR, "dstaddr", "dstaddr", "dstaddr", T_IP, 0),
	FIELD(F_SRCPORT, "srcport", "srcport", "srcport", T_INT, 65535),
	FIELD(F_DSTPORT, "dstport", "dstport", "dstport", T_INT, 65535),
	FIELD(F_PROTOCOL, "protocol", "protocol", "protocol", T_INT, 255),
	FIELD(F_PACKETS, "packets", "packets", "packets", T_U64, INT64_MAX),
	FIELD(F_BYTES, "bytes", "bytes", "bytes", T_U64, INT64_MAX),
	FIELD(F_START, "start", "start", "start", T_INT, MAX_TIME),
	FIELD(F_END, "end", "end", "end", T_INT, MAX_TIME),
	FIELD(F_ACTION, "action", "action", "action", T_STR, 0),
	FIELD(F_LOG_STATUS, "log-status", "logstatus", "log_status", T_STR, 0),
	FIELD(F_VPC_ID, "vpc-id", "vpc_id", "vpc_id", T_STR, 0),
	FIELD(F_SUBNET_ID, "subnet-id", "subnet_id", "subnet_id", T_STR, 0),
	FIELD(F_INSTANCE_ID, "instance-id", "instance_id", "instance_id",
	    T_STR, 0),
	FIELD(F_TCP_FLAGS, "tcp-flags", "tcp_flags", "tcp_flags", T_INT, 65535),
	FIELD(F_TYPE, "type", "traffic_type", "type", T_STR, 0),
	FIELD(F_PKT_SRCADDR, "pkt-srcaddr", "pkt_srcaddr", "pkt_srcaddr",
	    T_IP, 0),
	FIELD(F_PKT_DSTADDR, "pkt-dstaddr", "pkt_dstaddr", "pkt_dstaddr",
	    T_IP, 0),
	FIELD(F_REGION, "region", "region", "region", T_STR, 0),
	FIELD(F_AZ_ID, "az-id", "az_id", "az_id", T_STR, 0),
	FIELD(F_SUBLOCATION_TYPE, "sublocation-type", "sublocation_type",
	    "sublocation_type", T_STR, 0),
	FIELD(F_SUBLOCATION_ID, "sublocation-id", "sublocation_id",
	    "sublocation_id", T_STR, 0),
	FIELD(F_PKT_SRC_AWS_SERVICE, "pkt-src-aws-service",
	    "pkt_src_aws_service", "pkt_src_aws_service", T_STR, 0),
	FIELD(F_PKT_DST_AWS_SERVICE, "pkt-dst-aws-service",
	    "pkt_dst_aws_service", "pkt_dst_aws_service", T_STR, 0),
	FIELD(F_FLOW_DIRECTION, "flow-direction", "flow_direction",
	    "flow_direction", T_STR, 0),
	FIELD(F_TRAFFIC_PATH, "traffic-path", "traffic_path", "traffic_path",
	    T_INT, 255),
	FIELD(F_ECS_CLUSTER_ARN, "ecs-cluster-arn", "ecs_cluster_arn",
	    "ecs_cluster_arn", T_STR, 0),
	FIELD(F_ECS_CLUSTER_NAME, "ecs-cluster-name", "ecs_cluster_name",
	    "ecs_cluster_name", T_STR, 0),
	FIELD(F_ECS_CONTAINER_INSTANCE_ARN, "ecs-container-instance-arn",
	    "ecs_container_instance_arn", "ecs_container_instance_arn",
	    T_STR, 0),
	FIELD(F_ECS_CONTAINER_INSTANCE_ID, "ecs-container-instance-id",
	    "ecs_container_instance_id", "ecs_container_instance_id", T_STR, 0),
	FIELD(F_ECS_CONTAINER_ID, "ecs-container-id", "ecs_container_id",
	    "ecs_container_id", T_STR, 0),
	FIELD(F_ECS_SECOND_CONTAINER_ID, "ecs-second-container-id",
	    "ecs_second_container_id", "ecs_second_container_id", T_STR, 0),
	FIELD(F_ECS_SERVICE_NAME, "ecs-service-name", "ecs_service_name",
	    "ecs_service_name", T_STR, 0),
	FIELD(F_ECS_TASK_DEFINITION_ARN, "ecs-task-definition-arn",
	    "ecs_task_definition_arn", "ecs_task_definition_arn", T_STR, 0),
	FIELD(F_ECS_TASK_ARN, "ecs-task-arn", "ecs_task_arn", "ecs_task_arn",
	    T_STR, 0),
	FIELD(F_ECS_TASK_ID, "ecs-task-id", "ecs_task_id", "ecs_task_id",
	    T_STR, 0),
	FIELD(F_REJECT_REASON, "reject-reason", "reject_reason",
	    "reject_reason", T_STR, 0),
	FIELD(F_RESOURCE_ID, "resource-id", "resource_id", "resource_id",
	    T_STR, 0),
	FIELD(F_ENCRYPTION_STATUS, "encryption-status", "encryption_status",
	    "encryption_status", T_INT, 255),
};

/* Fields the ECS style places outside aws.vpcflow (action is in both). */
#define ECS_MAPPED	(BIT(F_ACCOUNT_ID) | BIT(F_SRCADDR) | BIT(F_DSTADDR) | \
	BIT(F_SRCPORT) | BIT(F_DSTPORT) | BIT(F_PROTOCOL) | BIT(F_PACKETS) | \
	BIT(F_BYTES) | BIT(F_START) | BIT(F_END) | BIT(F_INSTANCE_ID) | \
	BIT(F_REGION) | BIT(F_FLOW_DIRECTION))

struct proto_name {
	const char	*name;
	uint8_t		 len;
};

#define P(s)	{ s, sizeof(s) - 1 }

/* IANA "Assigned Internet Protocol Numbers", keyword column; 84 is TTP. */
static const struct proto_name proto_names[256] = {
	[0] = P("HOPOPT"), [1] = P("ICMP"), [2] = P("IGMP"), [3] = P("GGP"),
	[4] = P("IPv4"), [5] = P("ST"), [6] = P("TCP"), [7] = P("CBT"),
	[8] = P("EGP"), [9] = P("IGP"), [10] = P("BBN-RCC-MON"),
	[11] = P("NVP-II"), [12] = P("PUP"), [13] = P("ARGUS"),
	[14] = P("EMCON"), [15] = P("XNET"), [16] = P("CHAOS"), [17] = P("UDP"),
	[18] = P("MUX"), [19] = P("DCN-MEAS"), [20] = P("HMP"), [21] = P("PRM"),
	[22] = P("XNS-IDP"), [23] = P("TRUNK-1"), [24] = P("TRUNK-2"),
	[25] = P("LEAF-1"), [26] = P("LEAF-2"), [27] = P("RDP"),
	[28] = P("IRTP"), [29] = P("ISO-TP4"), [30] = P("NETBLT"),
	[31] = P("MFE-NSP"), [32] = P("MERIT-INP"), [33] = P("DCCP"),
	[34] = P("3PC"), [35] = P("IDPR"), [36] = P("XTP"), [37] = P("DDP"),
	[38] = P("IDPR-CMTP"), [39] = P("TP++"), [40] = P("IL"),
	[41] = P("IPv6"), [42] = P("SDRP"), [43] = P("IPv6-Route"),
	[44] = P("IPv6-Frag"), [45] = P("IDRP"), [46] = P("RSVP"),
	[47] = P("GRE"), [48] = P("DSR"), [49] = P("BNA"), [50] = P("ESP"),
	[51] = P("AH"), [52] = P("I-NLSP"), [53] = P("SWIPE"), [54] = P("NARP"),
	[55] = P("Min-IPv4"), [56] = P("TLSP"), [57] = P("SKIP"),
	[58] = P("IPv6-ICMP"), [59] = P("IPv6-NoNxt"), [60] = P("IPv6-Opts"),
	[62] = P("CFTP"), [64] = P("SAT-EXPAK"), [65] = P("KRYPTOLAN"),
	[66] = P("RVD"), [67] = P("IPPC"), [69] = P("SAT-MON"),
	[70] = P("VISA"),
	[71] = P("IPCV"), [72] = P("CPNX"), [73] = P("CPHB"), [74] = P("WSN"),
	[75] = P("PVP"), [76] = P("BR-SAT-MON"), [77] = P("SUN-ND"),
	[78] = P("WB-MON"), [79] = P("WB-EXPAK"), [80] = P("ISO-IP"),
	[81] = P("VMTP"), [82] = P("SECURE-VMTP"), [83] = P("VINES"),
	[84] = P("TTP"), [85] = P("NSFNET-IGP"), [86] = P("DGP"),
	[87] = P("TCF"), [88] = P("EIGRP"), [89] = P("OSPFIGP"),
	[90] = P("Sprite-RPC"), [91] = P("LARP"), [92] = P("MTP"),
	[93] = P("AX.25"), [94] = P("IPIP"), [95] = P("MICP"),
	[96] = P("SCC-SP"), [97] = P("ETHERIP"), [98] = P("ENCAP"),
	[100] = P("GMTP"), [101] = P("IFMP"), [102] = P("PNNI"),
	[103] = P("PIM"), [104] = P("ARIS"), [105] = P("SCPS"),
	[106] = P("QNX"),
	[107] = P("A/N"), [108] = P("IPComp"), [109] = P("SNP"),
	[110] = P("Compaq-Peer"), [111] = P("IPX-in-IP"), [112] = P("VRRP"),
	[113] = P("PGM"), [115] = P("L2TP"), [116] = P("DDX"),
	[117] = P("IATP"),
	[118] = P("STP"), [119] = P("SRP"), [120] = P("UTI"), [121] = P("SMP"),
	[122] = P("SM"), [123] = P("PTP"), [124] = P("ISIS over IPv4"),
	[125] = P("FIRE"), [126] = P("CRTP"), [127] = P("CRUDP"),
	[128] = P("SSCOPMCE"), [129] = P("IPLT"), [130] = P("SPS"),
	[131] = P("PIPE"), [132] = P("SCTP"), [133] = P("FC"),
	[134] = P("RSVP-E2E-IGNORE"), [135] = P("Mobility Header"),
	[136] = P("UDPLite"), [137] = P("MPLS-in-IP"), [138] = P("manet"),
	[139] = P("HIP"), [140] = P("Shim6"), [141] = P("WESP"),
	[142] = P("ROHC"), [143] = P("Ethernet"), [144] = P("AGGFRAG"),
	[145] = P("NSH"),
};

/* TCP header flag bits, lowest first, as rendered in tcp_flag_names. */
static const struct proto_name tcp_flag_names[8] = {
	P("\"FIN\","), P("\"SYN\","), P("\"RST\","), P("\"PSH\","),
	P("\"ACK\","), P("\"URG\","), P("\"ECE\","), P("\"CWR\","),
};

#define D10(x)	x "0" x "1" x "2" x "3" x "4" x "5" x "6" x "7" x "8" x "9"
static const char two_digits[] = D10("0") D10("1") D10("2") D10("3") D10("4")
	D10("5") D10("6") D10("7") D10("8") D10("9");

/* One record split into fields, indexed by field id. */
struct record {
	uint64_t	 present;	/* BIT(id): the field has a value */
	const char	*val[F_NFIELDS];
	size_t		 len[F_NFIELDS];
	uint64_t	 num[F_NFIELDS];	/* numbers; 4 or 6 for IPs */
	int		 plain;		/* no byte of the line needs escaping */
	const char	*end;		/* of the line: how far loads may go */
};

/* Append a literal (sizeof known at compile time) at o. */
#define PUT(o, lit)	do { memcpy((o), (lit), sizeof(lit) - 1); \
	(o) += sizeof(lit) - 1; } while (0)

static const char ecs_version[] = "8.11.0";
static const char parse_error_tag[] = "_vpcflow_parse_error";

int
flow_field_count(void)
{
	return F_NFIELDS;
}

const char *
flow_field_name(int id)
{
	if (id < 0 || id >= F_NFIELDS)
		return NULL;
	return field_defs[id].name;
}

int
flow_style_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "logzio") == 0)
		return FLOW_STYLE_LOGZIO;
	if (strcmp(name, "ecs") == 0)
		return FLOW_STYLE_ECS;
	return -1;
}

const char *
flow_style_name(enum flow_style style)
{
	switch (style) {
	case FLOW_STYLE_LOGZIO:
		return "logzio";
	case FLOW_STYLE_ECS:
		return "ecs";
	}
	return "unknown";
}

/*
 * Field id of the AWS name s[0..n), or -1. A linear scan: it only runs when
 * formats and header lines are parsed, never per field of a record.
 */
static int
field_lookup(const char *s, size_t n)
{
	int id;

	for (id = 0; id < F_NFIELDS; id++)
		if (field_defs[id].name_len == n &&
		    memcmp(field_defs[id].name, s, n) == 0)
			return id;
	return -1;
}

static int
is_format_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/*
 * Copy s[0..n) into dst for an error message: at most 64 bytes, and bytes
 * that are not printable ASCII become '?', so logs stay one clean line.
 */
static void
sanitize(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t i;

	if (dstlen == 0)
		return;
	if (n > 64)
		n = 64;
	if (n > dstlen - 1)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[n] = '\0';
}

int
flow_format_parse(struct flow_format *fmt, const char *spec, char *err,
    size_t errlen)
{
	const char *p = spec, *tok, *name;
	char shown[72];
	uint64_t seen = 0;
	size_t toklen, namelen;
	int id;

	fmt->nfields = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (spec == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "no format");
		return -1;
	}
	for (;;) {
		while (*p != '\0' && is_format_space(*p))
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && !is_format_space(*p))
			p++;
		toklen = (size_t)(p - tok);
		name = tok;
		namelen = toklen;
		if (toklen >= 2 && tok[0] == '$' && tok[1] == '{') {
			if (toklen < 4 || tok[toklen - 1] != '}') {
				sanitize(shown, sizeof(shown), tok, toklen);
				if (err != NULL)
					snprintf(err, errlen,
					    "malformed field \"%s\" in format "
					    "(expected ${name})", shown);
				goto fail;
			}
			name = tok + 2;
			namelen = toklen - 3;
		}
		if ((id = field_lookup(name, namelen)) == -1) {
			sanitize(shown, sizeof(shown), name, namelen);
			if (err != NULL)
				snprintf(err, errlen,
				    "unknown field \"%s\" in format", shown);
			goto fail;
		}
		if (seen & BIT(id)) {
			if (err != NULL)
				snprintf(err, errlen,
				    "duplicate field \"%s\" in format",
				    field_defs[id].name);
			goto fail;
		}
		if (fmt->nfields >= FLOW_MAX_FIELDS) {
			if (err != NULL)
				snprintf(err, errlen,
				    "more than %d fields in format",
				    FLOW_MAX_FIELDS);
			goto fail;
		}
		seen |= BIT(id);
		fmt->field[fmt->nfields++] = (uint8_t)id;
	}
	if (fmt->nfields == 0) {
		if (err != NULL)
			snprintf(err, errlen, "empty format");
		return -1;
	}
	return 0;
fail:
	fmt->nfields = 0;
	return -1;
}

int
flow_line_is_header(const char *line, size_t len)
{
	uint64_t seen = 0;
	size_t i = 0, start;
	int words = 0, id;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		/* Duplicates too: a header is a format that parses. */
		if ((id = field_lookup(line + start, i - start)) == -1 ||
		    (seen & BIT(id)))
			return 0;
		seen |= BIT(id);
		words++;
	}
	return words > 0;
}

/*
 * Parse s[0..n) as a decimal number. Returns 0 with *v set, -1 if it is
 * not all digits, -2 if it is all digits but does not fit in 64 bits.
 */
static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t acc = 0;
	unsigned d;
	size_t i;
	int overflow = 0;

	if (n == 0)
		return -1;
	if (n <= 19) {		/* cannot overflow */
		for (i = 0; i < n; i++) {
			d = (unsigned)(unsigned char)s[i] - '0';
			if (d > 9)
				return -1;
			acc = acc * 10 + d;
		}
		*v = acc;
		return 0;
	}
	for (i = 0; i < n; i++) {
		d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (acc > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			acc = acc * 10 + d;
	}
	if (overflow)
		return -2;
	*v = acc;
	return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_DIGITS	1
#define ASCII_ZEROS	0x3030303030303030ULL

/* True when all 8 bytes of w are ASCII digits (simdjson's test). */
static inline int
eight_digits(uint64_t w)
{
	return ((w & 0xF0F0F0F0F0F0F0F0ULL) |
	    (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
	    0x3333333333333333ULL;
}

/* Value of 8 ASCII digits, the first in the lowest byte (simdjson's). */
static inline uint64_t
eight_digits_value(uint64_t w)
{
	w = (w & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
	w = (w & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
	return (uint32_t)((w & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >>
	    32);
}

/*
 * The n (1..8) bytes ending at end as 8 bytes with '0's in front, read
 * with one load that stays inside [lo, hi), or 0 (not digits) if none does.
 */
static inline uint64_t
load_right_aligned(const char *end, size_t n, const char *lo, const char *hi)
{
	uint64_t w;

	if (n == 8) {
		memcpy(&w, end - 8, 8);
		return w;
	}
	if (end - lo >= 8) {
		memcpy(&w, end - 8, 8);
		w &= ~(uint64_t)0 << (8 * (8 - n));
	} else if (hi - (end - n) >= 8) {
		memcpy(&w, end - n, 8);
		w <<= 8 * (8 - n);
	} else
		return 0;
	return w | (ASCII_ZEROS >> (8 * n));
}
#endif

/*
 * parse_u64() for a number inside the line [lo, hi): up to 16 digits are
 * checked and converted 8 at a time without a branch per digit.
 */
static inline int
parse_number(const char *s, size_t n, const char *lo, const char *hi,
    uint64_t *v)
{
#ifdef SWAR_DIGITS
	uint64_t a, b;

	if (n >= 1 && n <= 8) {
		if ((a = load_right_aligned(s + n, n, lo, hi)) != 0) {
			if (!eight_digits(a))
				return -1;
			*v = eight_digits_value(a);
			return 0;
		}
	} else if (n > 8 && n <= 16) {
		memcpy(&b, s + n - 8, 8);
		a = load_right_aligned(s + n - 8, n - 8, lo, hi);
		if (a != 0) {
			if (!eight_digits(a) || !eight_digits(b))
				return -1;
			*v = eight_digits_value(a) * 100000000 +
			    eight_digits_value(b);
			return 0;
		}
	}
#else
	(void)lo;
	(void)hi;
#endif
	return parse_u64(s, n, v);
}

/* True when s[0..n) is a dotted-quad IPv4 address (no leading zeros). */
static int
ipv4_valid(const char *s, size_t n)
{
	unsigned value = 0, digits = 0, dots = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (digits == 0 || ++dots > 3)
				return 0;
			digits = value = 0;
			continue;
		}
		if ((d = (unsigned)(unsigned char)s[i] - '0') > 9)
			return 0;
		if (digits == 1 && value == 0)
			return 0;		/* leading zero */
		value = value * 10 + d;
		if (++digits > 3 || value > 255)
			return 0;
	}
	return dots == 3 && digits > 0;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * True when s[0..n) is an IPv6 address in RFC 4291 text form: eight groups
 * of 1-4 hex digits, one "::" for a run of zero groups, an IPv4 tail.
 */
static int
ipv6_valid(const char *s, size_t n)
{
	size_t i = 0, start;
	int groups = 0, compressed = 0;

	if (n < 2 || n > 45)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		compressed = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	for (;;) {
		start = i;
		while (i < n && i - start < 5 && is_hex(s[i]))
			i++;
		if (i < n && s[i] == '.') {
			/* An IPv4 tail stands for the last two groups. */
			if (groups > 6 || !ipv4_valid(s + start, n - start))
				return 0;
			groups += 2;
			break;
		}
		if (i == start || i - start > 4)
			return 0;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':' || groups >= 8)
			return 0;
		if (++i == n)
			return 0;		/* a single trailing colon */
		if (s[i] == ':') {
			if (compressed)
				return 0;
			compressed = 1;
			if (++i == n)
				break;
		}
	}
	return compressed ? groups <= 7 : groups == 8;
}

#if defined(__SSE2__)
/*
 * ipv4_valid() for n <= 15 bytes that can be loaded as 16 from s, without
 * a branch per byte: byte-class masks, then mask arithmetic for the rules
 * (3 dots, groups of 1-3 digits, no leading zero, no group above 255).
 * Returns 4, 0 when invalid, or -1 when s holds a ':' (not IPv4).
 */
static int
ipv4_valid_sse2(const char *s, size_t n)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	uint32_t in = ((uint32_t)1 << n) - 1, dig, dot, zero, two, five;
	uint32_t above2, above5, starts, start3, bad;

#define CLASS(x)	((uint32_t)_mm_movemask_epi8(x) & in)
	if (CLASS(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))) != 0)
		return -1;
	dig = CLASS(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
	    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
	dot = CLASS(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
	zero = CLASS(_mm_cmpeq_epi8(v, _mm_set1_epi8('0')));
	two = CLASS(_mm_cmpeq_epi8(v, _mm_set1_epi8('2')));
	five = CLASS(_mm_cmpeq_epi8(v, _mm_set1_epi8('5')));
	above2 = CLASS(_mm_cmpgt_epi8(v, _mm_set1_epi8('2'))) & dig;
	above5 = CLASS(_mm_cmpgt_epi8(v, _mm_set1_epi8('5'))) & dig;
#undef CLASS
	starts = dig & ~(dig << 1);		/* first digit of a group */
	start3 = starts & (dig >> 1) & (dig >> 2);	/* of a 3-digit group */
	bad = (dig | dot) ^ in;			/* other bytes */
	bad |= dot & ((dot << 1) | (dot >> 1) | 1 | (in ^ (in >> 1)));
	bad |= dig & (dig >> 1) & (dig >> 2) & (dig >> 3);	/* 4 digits */
	bad |= zero & starts & (dig >> 1);	/* leading zero */
	bad |= start3 & (above2 | (two & ((above5 >> 1) |
	    ((five >> 1) & (above5 >> 2)))));	/* above 255 */
	dot &= dot - 1;		/* exactly three dots: clear two, one left */
	dot &= dot - 1;
	return bad == 0 && dot != 0 && (dot & (dot - 1)) == 0 ? 4 : 0;
}
#endif

/*
 * 4 or 6 when s[0..n) is an IPv4 or IPv6 address, else 0. hi is the end of
 * the line: whether 16 bytes can be loaded at s.
 */
static int
ip_version(const char *s, size_t n, const char *hi)
{
#if defined(__SSE2__)
	char pad[16];
	int v4;

	if (n <= 15) {
		if (hi - s < 16) {
			memset(pad, 0, sizeof(pad));
			memcpy(pad, s, n);
			v4 = ipv4_valid_sse2(pad, n);
		} else
			v4 = ipv4_valid_sse2(s, n);
		if (v4 >= 0)
			return v4;
	}
#else
	(void)hi;
	if (n <= 15 && memchr(s, ':', n) == NULL)
		return ipv4_valid(s, n) ? 4 : 0;
#endif
	return ipv6_valid(s, n) ? 6 : 0;
}

/*
 * Copy n bytes; short runs (most values) with two overlapping fixed-size
 * moves instead of a call to memcpy.
 */
static inline char *
copy_bytes(char *o, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t c, d;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &b, 8);
	} else if (n > 16 && n <= 32) {
		char tmp[32];

		memcpy(tmp, s, 16);
		memcpy(tmp + 16, s + n - 16, 16);
		memcpy(o, tmp, 16);
		memcpy(o + n - 16, tmp + 16, 16);
	} else if (n >= 4 && n < 8) {
		memcpy(&c, s, 4);
		memcpy(&d, s + n - 4, 4);
		memcpy(o, &c, 4);
		memcpy(o + n - 4, &d, 4);
	} else if (n < 4) {
		if (n > 0) {
			o[0] = s[0];
			o[n / 2] = s[n / 2];
			o[n - 1] = s[n - 1];
		}
	} else
		memcpy(o, s, n);
	return o + n;
}

/*
 * copy_bytes() for a value inside a line that ends at hi: when 16 or 32
 * bytes can be read, one fixed-size move (the reservation has room for the
 * bytes past n, which later writes cover), so no branch on the length.
 */
static inline char *
copy_value(char *o, const char *s, size_t n, const char *hi)
{
	if (n <= 16 && hi - s >= 16) {
		memcpy(o, s, 16);
		return o + n;
	}
	if (n <= 32 && hi - s >= 32) {
		memcpy(o, s, 32);
		return o + n;
	}
	return copy_bytes(o, s, n);
}

#if defined(__SSE2__)
/* Space and must-escape masks of the 16 bytes at s. */
static inline void
classify16(const char *s, uint32_t *spaces, uint32_t *bad)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i esc = _mm_or_si128(
	    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),	/* and >= 0x80 */
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));

	*spaces = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8(' ')));
	*bad = (uint32_t)_mm_movemask_epi8(esc);
}
#endif

/*
 * Classify the bytes s[0..n), n <= 64: the result has bit i set for a
 * space, *unsafe a bit for each byte that JSON must escape. Bits past n
 * count as spaces. SSE2 16 bytes at a time when there is, else a loop;
 * a short tail is read as the last 16 bytes, never past the end.
 */
static inline uint64_t
scan64(const char *s, size_t n, uint64_t *unsafe)
{
	uint64_t spaces = 0, bad = 0;
	size_t i;
#if defined(__SSE2__)
	uint32_t sp, es;
	size_t rem = n % 16;
	char pad[16];

	for (i = 0; i + 16 <= n; i += 16) {
		classify16(s + i, &sp, &es);
		spaces |= (uint64_t)sp << i;
		bad |= (uint64_t)es << i;
	}
	if (rem != 0) {
		if (n >= 16) {
			classify16(s + n - 16, &sp, &es);
			sp >>= 16 - rem;
			es >>= 16 - rem;
		} else {
			memset(pad, ' ', sizeof(pad));
			memcpy(pad, s, n);
			classify16(pad, &sp, &es);
		}
		spaces |= (uint64_t)sp << i;
		bad |= (uint64_t)es << i;
	}
#else
	for (i = 0; i < n; i++) {
		spaces |= (uint64_t)(s[i] == ' ') << i;
		/* The bytes buf_add_json_str() escapes or replaces. */
		bad |= (uint64_t)((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
		    s[i] == '\\') << i;
	}
#endif
	if (n < 64) {
		spaces |= ~(uint64_t)0 << n;
		bad &= ((uint64_t)1 << n) - 1;
	}
	*unsafe = bad;
	return spaces;
}

/* True when no byte of s[0..n) needs escaping in a JSON string. */
static int
is_plain(const char *s, size_t n)
{
	uint64_t bad;
	size_t off, chunk;

	for (off = 0; off < n; off += 64) {
		chunk = n - off < 64 ? n - off : 64;
		scan64(s + off, chunk, &bad);
		if (bad != 0)
			return 0;
	}
	return 1;
}

/* Record the count-th word, line[start..end), as the value of its field. */
static inline void
add_word(struct record *r, const struct flow_format *fmt, size_t count,
    const char *line, size_t start, size_t end)
{
	int id;

	if (count < (size_t)fmt->nfields) {
		id = fmt->field[count];
		r->val[id] = line + start;
		r->len[id] = end - start;
	}
}

/*
 * Split line[0..len) into r by format, validating every value. Returns 0,
 * or -1 with a "field 7 (dstport): not a number" style message in err.
 * Field boundaries come from 64-bit space masks: one step per field.
 */
static int
record_parse(struct record *r, const struct flow_format *fmt,
    const char *line, size_t len, char *err, size_t errlen)
{
	const struct field_def *f;
	const char *tok;
	uint64_t v, spaces, bad, any_bad = 0, starts, ends;
	uint64_t space_carry = 1, word_carry = 0;
	size_t n, count = 0, off, chunk, end, word_start = 0;
	int i, id, rc, in_word = 0;

	r->present = 0;
	r->end = line + len;
	for (off = 0; off < len; off += 64) {
		chunk = len - off < 64 ? len - off : 64;
		spaces = scan64(line + off, chunk, &bad);
		any_bad |= bad;
		/* A word starts after a space and ends at the next space. */
		starts = ~spaces & ((spaces << 1) | space_carry);
		ends = spaces & ((~spaces << 1) | word_carry);
		space_carry = spaces >> 63;
		word_carry = (~spaces) >> 63;
		if (in_word) {		/* a word from the previous block */
			if (ends == 0)
				continue;
			end = off + (size_t)__builtin_ctzll(ends);
			ends &= ends - 1;
			add_word(r, fmt, count++, line, word_start, end);
			in_word = 0;
		}
		/* The k-th start left in a block pairs with its k-th end. */
		while (starts != 0) {
			word_start = off + (size_t)__builtin_ctzll(starts);
			starts &= starts - 1;
			if (ends == 0) {
				in_word = 1;
				break;
			}
			end = off + (size_t)__builtin_ctzll(ends);
			ends &= ends - 1;
			add_word(r, fmt, count++, line, word_start, end);
		}
	}
	if (in_word)		/* the line ends at a 64-byte boundary */
		add_word(r, fmt, count++, line, word_start, len);
	r->plain = any_bad == 0;
	if (count != (size_t)fmt->nfields) {
		snprintf(err, errlen, "expected %d fields, got %zu",
		    fmt->nfields, count);
		return -1;
	}
	for (i = 0; i < fmt->nfields; i++) {
		id = fmt->field[i];
		f = &field_defs[id];
		tok = r->val[id];
		n = r->len[id];
		if (n == 1 && tok[0] == '-')
			continue;
		switch (f->type) {
		case T_INT:
		case T_U64:
			if ((rc = parse_number(tok, n, line, line + len,
			    &v)) == -1) {
				snprintf(err, errlen,
				    "field %d (%s): not a number", i + 1,
				    f->name);
				return -1;
			}
			if (rc == -2 || v > f->max) {
				snprintf(err, errlen,
				    "field %d (%s): out of range (0-%llu)",
				    i + 1, f->name,
				    (unsigned long long)f->max);
				return -1;
			}
			r->num[id] = v;
			break;
		case T_IP:
			if ((r->num[id] = (uint64_t)ip_version(tok, n,
			    line + len)) == 0) {
				snprintf(err, errlen,
				    "field %d (%s): not an IP address", i + 1,
				    f->name);
				return -1;
			}
			break;
		}
		r->present |= BIT(id);
	}
	return 0;
}

/* Number of decimal digits of v. */
static size_t
digit_count(uint64_t v)
{
	size_t n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	if (v >= 1000)
		return n + 3;
	if (v >= 100)
		return n + 2;
	return v >= 10 ? n + 1 : n;
}

/* Decimal digits of v at o, written back to front; returns the new end. */
static char *
put_u64(char *o, uint64_t v)
{
	char *end = o + digit_count(v), *t = end;

	while (v >= 100) {
		t -= 2;
		memcpy(t, two_digits + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(t - 2, two_digits + 2 * v, 2);
	else
		t[-1] = (char)('0' + v);
	return end;
}

/*
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes) for secs since the epoch (0 up to
 * MAX_TIME), via Howard Hinnant's civil_from_days: no gmtime, no locale.
 */
static char *
put_iso8601(char *o, uint64_t secs, unsigned ms)
{
	uint64_t days = secs / 86400, rem = secs % 86400;
	uint64_t z, era, doe, yoe, doy, mp, year, month, day;

	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	year = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = doy - (153 * mp + 2) / 5 + 1;
	month = mp < 10 ? mp + 3 : mp - 9;
	if (month <= 2)
		year++;
	memcpy(o, two_digits + 2 * (year / 100), 2);
	memcpy(o + 2, two_digits + 2 * (year % 100), 2);
	o[4] = '-';
	memcpy(o + 5, two_digits + 2 * month, 2);
	o[7] = '-';
	memcpy(o + 8, two_digits + 2 * day, 2);
	o[10] = 'T';
	memcpy(o + 11, two_digits + 2 * (rem / 3600), 2);
	o[13] = ':';
	memcpy(o + 14, two_digits + 2 * (rem / 60 % 60), 2);
	o[16] = ':';
	memcpy(o + 17, two_digits + 2 * (rem % 60), 2);
	o[19] = '.';
	o[20] = (char)('0' + ms / 100);
	memcpy(o + 21, two_digits + 2 * (ms % 100), 2);
	o[23] = 'Z';
	return o + 24;
}

/* Quoted JSON string s[0..n), escaped by buf (which may move b->data). */
static char *
put_str_escaped(struct buf *b, char *o, const char *s, size_t n)
{
	b->len = (size_t)(o - b->data);
	buf_add_json_str(b, s, n);
	return b->data + b->len;
}

/* Quoted JSON string s[0..n): copied when plain, else escaped. */
static inline char *
put_str(struct buf *b, char *o, const char *s, size_t n, int plain)
{
	if (plain) {
		*o++ = '"';
		o = copy_bytes(o, s, n);
		*o++ = '"';
		return o;
	}
	return put_str_escaped(b, o, s, n);
}

/* Member name literal (with quotes and colon) of known length. */
static char *
put_raw(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* The @timestamp member for the record or the event, if there is one. */
static char *
put_timestamp(char *o, const struct record *r, const struct flow_meta *meta)
{
	if (r != NULL && (r->present & BIT(F_START))) {
		PUT(o, "\"@timestamp\":\"");
		o = put_iso8601(o, r->num[F_START], 0);
		PUT(o, "\",");
	} else if (meta->timestamp_ms >= 0 &&
	    (uint64_t)meta->timestamp_ms <= MAX_TIME * 1000 + 999) {
		PUT(o, "\"@timestamp\":\"");
		o = put_iso8601(o, (uint64_t)meta->timestamp_ms / 1000,
		    (unsigned)((uint64_t)meta->timestamp_ms % 1000));
		PUT(o, "\",");
	}
	return o;
}

/* The tcp-flags bits as a JSON array of names, ["SYN","ACK"]. */
static char *
put_tcp_flag_names(char *o, uint64_t flags)
{
	int bit;

	*o++ = '[';
	for (bit = 0; bit < 8; bit++)
		if (flags & (1u << bit))
			o = put_raw(o, tcp_flag_names[bit].name,
			    tcp_flag_names[bit].len);
	if (o[-1] == ',')
		o[-1] = ']';
	else
		*o++ = ']';
	return o;
}

/* The CloudWatch metadata members, each followed by a comma. */
static char *
put_meta(struct buf *b, char *o, const struct flow_meta *meta,
    const size_t lens[3])
{
	if (meta->log_group != NULL) {
		PUT(o, "\"log_group\":");
		o = put_str(b, o, meta->log_group, lens[0],
		    is_plain(meta->log_group, lens[0]));
		*o++ = ',';
	}
	if (meta->log_stream != NULL) {
		PUT(o, "\"log_stream\":");
		o = put_str(b, o, meta->log_stream, lens[1],
		    is_plain(meta->log_stream, lens[1]));
		*o++ = ',';
	}
	if (meta->event_id != NULL) {
		PUT(o, "\"event_id\":");
		o = put_str(b, o, meta->event_id, lens[2],
		    is_plain(meta->event_id, lens[2]));
		*o++ = ',';
	}
	return o;
}

/* 4 or 6 from srcaddr, else dstaddr; 0 when neither is present. */
static int
record_ip_version(const struct record *r)
{
	if (r->present & BIT(F_SRCADDR))
		return (int)r->num[F_SRCADDR];
	if (r->present & BIT(F_DSTADDR))
		return (int)r->num[F_DSTADDR];
	return 0;
}

/*
 * A validated number as JSON: its own digits without leading zeros, which
 * is cheaper than printing the parsed value again.
 */
static inline char *
put_number(char *o, const struct record *r, int id)
{
	const char *s = r->val[id];
	size_t n = r->len[id];

	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	return copy_value(o, s, n, r->end);
}

/* One field's value as JSON: number, or string. */
static inline char *
put_value(struct buf *b, char *o, const struct record *r, int id)
{
	switch (field_defs[id].type) {
	case T_INT:
	case T_U64:
		return put_number(o, r, id);
	default:
		if (field_defs[id].type == T_STR && !r->plain)
			return put_str_escaped(b, o, r->val[id], r->len[id]);
		*o++ = '"';
		o = copy_value(o, r->val[id], r->len[id], r->end);
		*o++ = '"';
		return o;
	}
}

/* Body of a logzio-style document for a record that parsed. */
static char *
encode_logzio(struct buf *b, char *o, const struct flow_format *fmt,
    const struct record *r)
{
	const struct field_def *f;
	const struct proto_name *pn;
	int i, id, ipv;

	for (i = 0; i < fmt->nfields; i++) {
		id = fmt->field[i];
		if (!(r->present & BIT(id)))
			continue;
		f = &field_defs[id];
		memcpy(o, f->key, KEY_COPY);
		o += f->key_len;
		o = put_value(b, o, r, id);
		*o++ = ',';
	}
	if ((r->present & BIT(F_PROTOCOL)) &&
	    (pn = &proto_names[r->num[F_PROTOCOL]])->name != NULL) {
		PUT(o, "\"protocol_name\":\"");
		o = put_raw(o, pn->name, pn->len);
		PUT(o, "\",");
	}
	if (r->present & BIT(F_TCP_FLAGS)) {
		PUT(o, "\"tcp_flag_names\":");
		o = put_tcp_flag_names(o, r->num[F_TCP_FLAGS]);
		*o++ = ',';
	}
	if ((r->present & (BIT(F_START) | BIT(F_END))) ==
	    (BIT(F_START) | BIT(F_END)) && r->num[F_END] >= r->num[F_START]) {
		PUT(o, "\"duration\":");
		o = put_u64(o, r->num[F_END] - r->num[F_START]);
		*o++ = ',';
	}
	if ((ipv = record_ip_version(r)) != 0) {
		PUT(o, "\"ip_version\":");
		*o++ = (char)('0' + ipv);
		*o++ = ',';
	}
	return o;
}

/*
 * Close the object whose member name starts at offset open_key: drop the
 * whole member if it stayed empty. An offset, as escaping may move b->data.
 */
static char *
close_object(struct buf *b, char *o, size_t open_key)
{
	if (o[-1] == '{')
		return b->data + open_key;
	o[-1] = '}';
	*o++ = ',';
	return o;
}

/* Body of an ECS-style document for a record that parsed. */
static char *
encode_ecs(struct buf *b, char *o, const struct record *r,
    const struct flow_meta *meta, const size_t meta_lens[3])
{
	const struct proto_name *pn;
	size_t obj_start;
	uint64_t m, proto;
	int id, ipv, accept = 0, reject = 0;
	char c;
	size_t i;

	PUT(o, "\"ecs\":{\"version\":\"");
	PUT(o, ecs_version);
	PUT(o, "\"},");

	if (r->present & BIT(F_ACTION)) {
		accept = r->len[F_ACTION] == 6 &&
		    memcmp(r->val[F_ACTION], "ACCEPT", 6) == 0;
		reject = r->len[F_ACTION] == 6 &&
		    memcmp(r->val[F_ACTION], "REJECT", 6) == 0;
	}
	PUT(o, "\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
	    "\"type\":[\"connection\"");
	if (accept)
		PUT(o, ",\"allowed\"");
	else if (reject)
		PUT(o, ",\"denied\"");
	PUT(o, "],");
	if (accept)
		PUT(o, "\"action\":\"accept\",\"outcome\":\"success\",");
	else if (reject)
		PUT(o, "\"action\":\"reject\",\"outcome\":\"failure\",");
	else if (r->present & BIT(F_ACTION)) {
		PUT(o, "\"action\":");
		o = put_str(b, o, r->val[F_ACTION], r->len[F_ACTION], r->plain);
		*o++ = ',';
	}
	if (r->present & BIT(F_START)) {
		PUT(o, "\"start\":\"");
		o = put_iso8601(o, r->num[F_START], 0);
		PUT(o, "\",");
	}
	if (r->present & BIT(F_END)) {
		PUT(o, "\"end\":\"");
		o = put_iso8601(o, r->num[F_END], 0);
		PUT(o, "\",");
	}
	if ((r->present & (BIT(F_START) | BIT(F_END))) ==
	    (BIT(F_START) | BIT(F_END)) && r->num[F_END] >= r->num[F_START] &&
	    r->num[F_END] - r->num[F_START] <= INT64_MAX / 1000000000) {
		PUT(o, "\"duration\":");
		o = put_u64(o, (r->num[F_END] - r->num[F_START]) * 1000000000);
		*o++ = ',';
	}
	o[-1] = '}';
	*o++ = ',';

	obj_start = (size_t)(o - b->data);
	PUT(o, "\"source\":{");
	if (r->present & BIT(F_SRCADDR)) {
		PUT(o, "\"ip\":");
		o = put_value(b, o, r, F_SRCADDR);
		*o++ = ',';
	}
	if (r->present & BIT(F_SRCPORT)) {
		PUT(o, "\"port\":");
		o = put_number(o, r, F_SRCPORT);
		*o++ = ',';
	}
	o = close_object(b, o, obj_start);

	obj_start = (size_t)(o - b->data);
	PUT(o, "\"destination\":{");
	if (r->present & BIT(F_DSTADDR)) {
		PUT(o, "\"ip\":");
		o = put_value(b, o, r, F_DSTADDR);
		*o++ = ',';
	}
	if (r->present & BIT(F_DSTPORT)) {
		PUT(o, "\"port\":");
		o = put_number(o, r, F_DSTPORT);
		*o++ = ',';
	}
	o = close_object(b, o, obj_start);

	obj_start = (size_t)(o - b->data);
	PUT(o, "\"network\":{");
	if (r->present & BIT(F_PROTOCOL)) {
		proto = r->num[F_PROTOCOL];
		pn = &proto_names[proto];
		if (pn->name != NULL) {
			PUT(o, "\"transport\":\"");
			for (i = 0; i < pn->len; i++) {
				c = pn->name[i];
				*o++ = (c >= 'A' && c <= 'Z') ?
				    (char)(c - 'A' + 'a') : c;
			}
			PUT(o, "\",");
		}
		PUT(o, "\"iana_number\":\"");
		o = put_number(o, r, F_PROTOCOL);
		PUT(o, "\",");
	}
	if (r->present & BIT(F_BYTES)) {
		PUT(o, "\"bytes\":");
		o = put_number(o, r, F_BYTES);
		*o++ = ',';
	}
	if (r->present & BIT(F_PACKETS)) {
		PUT(o, "\"packets\":");
		o = put_number(o, r, F_PACKETS);
		*o++ = ',';
	}
	if ((ipv = record_ip_version(r)) == 4)
		PUT(o, "\"type\":\"ipv4\",");
	else if (ipv == 6)
		PUT(o, "\"type\":\"ipv6\",");
	if (r->present & BIT(F_FLOW_DIRECTION)) {
		PUT(o, "\"direction\":");
		o = put_value(b, o, r, F_FLOW_DIRECTION);
		*o++ = ',';
	}
	o = close_object(b, o, obj_start);

	PUT(o, "\"cloud\":{\"provider\":\"aws\",");
	if (r->present & BIT(F_ACCOUNT_ID)) {
		PUT(o, "\"account\":{\"id\":");
		o = put_value(b, o, r, F_ACCOUNT_ID);
		PUT(o, "},");
	}
	if (r->present & BIT(F_REGION)) {
		PUT(o, "\"region\":");
		o = put_value(b, o, r, F_REGION);
		*o++ = ',';
	}
	if (r->present & BIT(F_INSTANCE_ID)) {
		PUT(o, "\"instance\":{\"id\":");
		o = put_value(b, o, r, F_INSTANCE_ID);
		PUT(o, "},");
	}
	o[-1] = '}';
	*o++ = ',';

	obj_start = (size_t)(o - b->data);
	PUT(o, "\"aws\":{");
	if ((m = r->present & ~ECS_MAPPED) != 0) {
		PUT(o, "\"vpcflow\":{");
		for (; m != 0; m &= m - 1) {
			id = __builtin_ctzll(m);
			memcpy(o, field_defs[id].vkey, KEY_COPY);
			o += field_defs[id].vkey_len;
			o = put_value(b, o, r, id);
			*o++ = ',';
			if (id == F_TCP_FLAGS) {
				PUT(o, "\"tcp_flag_names\":");
				o = put_tcp_flag_names(o, r->num[F_TCP_FLAGS]);
				*o++ = ',';
			}
		}
		o[-1] = '}';
		*o++ = ',';
	}
	if (meta->log_group != NULL || meta->log_stream != NULL ||
	    meta->event_id != NULL) {
		PUT(o, "\"cloudwatch\":{");
		o = put_meta(b, o, meta, meta_lens);
		o[-1] = '}';
		*o++ = ',';
	}
	return close_object(b, o, obj_start);
}

/* Body of the document for a record that did not parse. */
static char *
encode_error(struct buf *b, char *o, const struct flow_opts *opts,
    const struct flow_meta *meta, const size_t meta_lens[3], const char *err)
{
	PUT(o, "\"tags\":[\"");
	PUT(o, parse_error_tag);
	PUT(o, "\"],");
	if (opts->style == FLOW_STYLE_ECS) {
		PUT(o, "\"error\":{\"message\":");
		o = put_str(b, o, err, strlen(err), 0);
		PUT(o, "},\"ecs\":{\"version\":\"");
		PUT(o, ecs_version);
		PUT(o, "\"},\"event\":{\"kind\":\"pipeline_error\"},");
		if (meta->log_group != NULL || meta->log_stream != NULL ||
		    meta->event_id != NULL) {
			PUT(o, "\"aws\":{\"cloudwatch\":{");
			o = put_meta(b, o, meta, meta_lens);
			o[-1] = '}';
			PUT(o, "},");
		}
	} else {
		PUT(o, "\"parse_error\":");
		o = put_str(b, o, err, strlen(err), 0);
		*o++ = ',';
		o = put_meta(b, o, meta, meta_lens);
	}
	return o;
}

int
flow_encode(struct buf *out, const struct flow_format *fmt,
    const struct flow_opts *opts, const struct flow_meta *meta,
    const char *line, size_t len)
{
	static const struct flow_meta no_meta = { NULL, NULL, NULL, -1 };
	static const struct flow_opts default_opts = { FLOW_STYLE_LOGZIO, 1,
	    NULL };
	struct record r;
	char err[128], *o;
	size_t meta_lens[3], add_len, bound, start;
	int failed;

	if (meta == NULL)
		meta = &no_meta;
	if (opts == NULL)
		opts = &default_opts;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	meta_lens[0] = meta->log_group != NULL ? strlen(meta->log_group) : 0;
	meta_lens[1] = meta->log_stream != NULL ? strlen(meta->log_stream) : 0;
	meta_lens[2] = meta->event_id != NULL ? strlen(meta->event_id) : 0;
	add_len = opts->add_json != NULL ? strlen(opts->add_json) : 0;

	/*
	 * One reservation bounds everything written below: the message and
	 * the values each at most 6 bytes per input byte (escaping; ECS
	 * writes action twice), member names and numbers at most 64 bytes
	 * per field, fixed text and the error message within 2 KiB.
	 */
	if (len > SIZE_MAX / 64 || add_len > SIZE_MAX / 4 ||
	    meta_lens[0] + meta_lens[1] + meta_lens[2] > SIZE_MAX / 64)
		fatalx("flow record too large (%zu bytes)", len);
	bound = 2048 + 64 * (size_t)FLOW_MAX_FIELDS + 18 * len +
	    6 * (meta_lens[0] + meta_lens[1] + meta_lens[2]) + 32 + add_len;
	buf_grow(out, bound);
	start = out->len;

	failed = record_parse(&r, fmt, line, len, err, sizeof(err)) != 0;
	o = out->data + out->len;
	*o++ = '{';
	o = put_timestamp(o, failed ? NULL : &r, meta);
	if (opts->include_message || failed) {
		PUT(o, "\"message\":");
		o = put_str(out, o, line, len, failed ? 0 : r.plain);
		*o++ = ',';
	}
	if (failed)
		o = encode_error(out, o, opts, meta, meta_lens, err);
	else if (opts->style == FLOW_STYLE_ECS)
		o = encode_ecs(out, o, &r, meta, meta_lens);
	else {
		o = encode_logzio(out, o, fmt, &r);
		o = put_meta(out, o, meta, meta_lens);
	}
	if (add_len > 0) {
		o = put_raw(o, opts->add_json, add_len);
		*o++ = ',';
	}
	if (o[-1] == ',')
		o[-1] = '}';
	else
		*o++ = '}';
	*o = '\0';
	out->len = (size_t)(o - out->data);
	if (out->len - start > bound)	/* cannot happen: the bound is wrong */
		fatalx("flow: document of %zu bytes exceeds its bound of %zu",
		    out->len - start, bound);
	return failed;
}
