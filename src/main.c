/*
 * vpcflowd: ships AWS VPC Flow Log records from CloudWatch Logs to Logz.io.
 * main() only parses the command line and wires the modules together.
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "awssetup.h"
#include "checkpoint.h"
#include "config.h"
#include "daemon.h"
#include "decode.h"
#include "flow.h"
#include "log.h"
#include "once.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2
#define EXIT_CONFIG	78	/* systemd: RestartPreventExitStatus=78 */

enum { OPT_DECODE = 256, OPT_FORMAT, OPT_STYLE, OPT_ONCE, OPT_OUTPUT,
    OPT_STATUS };

/* Set by the signal handler only; the modules poll it (see once_run). */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "stop flag is shared as int");

static const struct option long_options[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "check",	no_argument,		NULL, 'n' },
	{ "once",	no_argument,		NULL, OPT_ONCE },
	{ "output",	required_argument,	NULL, OPT_OUTPUT },
	{ "status",	no_argument,		NULL, OPT_STATUS },
	{ "decode",	no_argument,		NULL, OPT_DECODE },
	{ "format",	required_argument,	NULL, OPT_FORMAT },
	{ "style",	required_argument,	NULL, OPT_STYLE },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: vpcflowd -c FILE [--once] [-v] [-q]\n"
"       vpcflowd -c FILE -n | --status\n"
"       vpcflowd -c FILE --once --output stdout [-v] [-q]\n"
"       vpcflowd --decode [-c FILE] [--format FMT] [--style STYLE] [-v] [-q]\n"
"       vpcflowd -V | -h\n"
"\n"
"Ships AWS VPC Flow Log records from CloudWatch Logs to Logz.io.\n"
"\n"
"  -c, --config FILE   configuration file (one per log group), see vpcflowd.conf(5);\n"
"                      alone: ship the log group to Logz.io until SIGTERM\n"
"                      (SIGHUP reloads the file)\n"
"  -n, --check         check the configuration, print the effective settings\n"
"                      with secrets redacted, the AWS credential source and\n"
"                      region, and whether the Logz.io token can be read (or\n"
"                      decrypted with KMS); exit 0, 78 on configuration\n"
"                      errors, 1 if the credentials or the token fail\n"
"      --once          one cycle: read every range that is due, ship it, write\n"
"                      the checkpoints, exit\n"
"      --output stdout with --once: read the whole window (start_position up\n"
"                      to now) and write the documents to stdout instead of\n"
"                      Logz.io (debugging; no token, no checkpoints)\n"
"      --status        per log stream: last event, lag, events shipped, and\n"
"                      the scan positions, from the checkpoints alone\n"
"      --decode        read raw flow records, one per line, on stdin; write the\n"
"                      documents that would be shipped, one per line, on stdout.\n"
"                      A first line of field names (S3 flow log files) is the\n"
"                      format unless --format or -c gives one\n"
"      --format FMT    the flow log format, \"${version} ${account-id} ...\" or\n"
"                      \"version account-id ...\" (default: the AWS default format)\n"
"      --style STYLE   document style: logzio (default) or ecs\n"
"  -v, --verbose       more log detail (repeat for more)\n"
"  -q, --quiet         warnings and errors only\n"
"  -V, --version       print the version and exit\n"
"  -h, --help          print this help and exit\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 usage error, 78 configuration error.\n"
"See vpcflowd(8).\n");
}

static void __attribute__((noreturn))
usage_error(const char *why)
{
	fprintf(stderr, "vpcflowd: %s\n", why);
	fprintf(stderr, "Try 'vpcflowd -h' for more information.\n");
	exit(EXIT_USAGE);
}

/* Load the configuration or exit 78 with every problem on stderr. */
static void
load_config_or_exit(struct config *cfg, const char *path)
{
	struct buf errors = BUF_INIT;

	if (config_load(cfg, path, &errors) == -1) {
		fprintf(stderr, "%s", errors.data ? errors.data : "");
		fprintf(stderr, "vpcflowd: configuration %s has errors\n", path);
		buf_free(&errors);
		config_free(cfg);
		exit(EXIT_CONFIG);
	}
	buf_free(&errors);
}

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
on_reload_signal(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/* Signals only set flags; the loops look at them between requests. */
static void
install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload_signal;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* The line break that err lacks at its end, if any: for fprintf. */
static const char *
eol(const struct buf *err)
{
	return err->len > 0 && err->data[err->len - 1] == '\n' ? "" : "\n";
}

/*
 * -n, last: can the Logz.io token be obtained (read, or decrypted with KMS
 * when aws_ok)? Prints "token: SOURCE (...)", never the token. Returns 0,
 * or -1 after saying why on stderr; no token configured is only a warning.
 */
static int
check_token(const struct config *cfg, const char *path, int aws_ok)
{
	struct once_aws a;
	struct buf token = BUF_INIT, err = BUF_INIT;
	const char *name = config_token_source_name(cfg->logzio.token_source);
	int kms = cfg->logzio.token_source == CONFIG_TOKEN_KMS, rc = -1;

	if (cfg->logzio.token_source == CONFIG_TOKEN_NONE) {
		printf("token: none (shipping to Logz.io needs one)\n");
		fflush(stdout);
		config_require_token(cfg, &err);
		fprintf(stderr, "vpcflowd: warning: %s%s", err.data, eol(&err));
		buf_free(&err);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	if (kms && !aws_ok)
		buf_addstr(&err, "not decrypted: no AWS credentials or region");
	else if (!kms || once_aws_open(&a, cfg, NULL, &err) == 0)
		rc = once_token(&a, cfg, &token, &err);
	once_aws_close(&a);
	buf_wipe_free(&token);
	printf("token: %s (%s: %s)\n", name,
	    kms ? "decrypts with KMS" : "readable", rc == 0 ? "ok" :
	    kms && !aws_ok ? "not checked" : "FAILED");
	fflush(stdout);
	if (rc == -1 && kms)
		fprintf(stderr, "vpcflowd: %s: logzio.token_kms: %s%s", path,
		    err.data, eol(&err));
	else if (rc == -1)
		fprintf(stderr, "vpcflowd: %s%s", err.data, eol(&err));
	buf_free(&err);
	return rc;
}

/* -n: the effective settings, what AWS access would use, the token. */
static int
run_check(const struct config *cfg, const char *path)
{
	struct buf err = BUF_INIT;
	int rc = 0;

	printf("# vpcflowd %s: configuration %s is valid\n", VPCFLOWD_VERSION,
	    path);
	config_print(cfg, stdout);
	fflush(stdout);
	if (aws_describe_setup(cfg, stdout, &err) == -1) {
		fprintf(stderr, "vpcflowd: %s: no usable AWS credentials or "
		    "region:\n%s%s", path, err.data ? err.data : "", eol(&err));
		rc = EXIT_RUNTIME;
	}
	buf_free(&err);
	if (check_token(cfg, path, rc == 0) == -1)
		rc = EXIT_RUNTIME;
	return rc;
}

/* --status: the checkpoints of state_dir, read without AWS. */
static int
run_status(const struct config *cfg)
{
	struct buf err = BUF_INIT;
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	rc = checkpoint_print_status(cfg->state_dir, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, stdout, &err);
	if (rc == -1)
		fprintf(stderr, "vpcflowd: %s%s", err.data ? err.data : "",
		    eol(&err));
	buf_free(&err);
	return rc == -1 ? EXIT_RUNTIME : 0;
}

/* --decode: the documents vpcflowd would ship for the records on stdin. */
static int
run_decode(const struct config *cfg, int have_config, const char *format,
    int style)
{
	struct flow_format fmt, *fmtp = NULL;
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
	struct decode_stats st;
	char err[256];

	if (have_config) {
		config_flow_opts(cfg, &opts);
		fmt = cfg->flow_format;
		fmtp = &fmt;
	}
	if (format != NULL) {
		if (flow_format_parse(&fmt, format, err, sizeof(err)) == -1) {
			fprintf(stderr, "vpcflowd: --format: %s\n", err);
			return EXIT_USAGE;
		}
		fmtp = &fmt;
	}
	if (style >= 0)
		opts.style = (enum flow_style)style;
	if (decode_stream(STDIN_FILENO, STDOUT_FILENO, "stdin", fmtp, &opts,
	    &st) == -1)
		return EXIT_RUNTIME;
	if (st.parse_errors > 0)
		log_warnx("stdin: %llu of %llu records did not parse (first at "
		    "line %llu); shipped tagged _vpcflow_parse_error",
		    (unsigned long long)st.parse_errors,
		    (unsigned long long)st.lines,
		    (unsigned long long)st.first_error_line);
	log_debug("decoded %llu records, %llu bytes in, %llu bytes out",
	    (unsigned long long)st.lines, (unsigned long long)st.bytes_in,
	    (unsigned long long)st.bytes_out);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	const char *config_path = NULL, *format = NULL;
	const char *output = NULL;
	struct daemon_opts dopts;
	int ch, verbosity = 0, check = 0, decode = 0, once = 0, style = -1, rc;
	int status = 0;

	while ((ch = getopt_long(argc, argv, "c:nvqVh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case OPT_DECODE:
			decode = 1;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "stdout") != 0)
				usage_error("--output takes stdout");
			output = optarg;
			break;
		case OPT_STATUS:
			status = 1;
			break;
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_STYLE:
			if ((style = flow_style_parse(optarg)) < 0)
				usage_error("--style must be logzio or ecs");
			break;
		case 'v':
			verbosity = verbosity < 0 ? 1 : verbosity + 1;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'V':
			printf("vpcflowd %s\n", VPCFLOWD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("unknown option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument");
	log_init(verbosity);

	if (!decode && (format != NULL || style >= 0))
		usage_error("--format and --style go with --decode");
	if (check + decode + once + status > 1)
		usage_error("-n, --decode, --once and --status cannot be combined");
	if (!decode && config_path == NULL)
		usage_error("-c FILE is required");
	if (output != NULL && !once)
		usage_error("--output stdout goes with --once");

	if (config_path != NULL)
		load_config_or_exit(&cfg, config_path);
	else
		config_defaults(&cfg);
	if (check)
		rc = run_check(&cfg, config_path);
	else if (status)
		rc = run_status(&cfg);
	else if (decode)
		rc = run_decode(&cfg, config_path != NULL, format, style);
	else if (output != NULL) {
		install_signal_handlers();
		rc = once_run(&cfg, (volatile int *)&stop_requested);
	} else {
		install_signal_handlers();
		dopts.once = once;
		dopts.stop = (volatile int *)&stop_requested;
		dopts.reload = (volatile int *)&reload_requested;
		rc = daemon_run(&cfg, &dopts);
	}
	config_free(&cfg);
	return rc;
}
