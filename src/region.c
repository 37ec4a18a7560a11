/* region: pure region and endpoint helpers (include/region.h). */
#include <string.h>

#include "region.h"

const char *
region_source_name(enum region_source src)
{
	switch (src) {
	case REGION_FROM_CONFIG:
		return "configuration file";
	case REGION_FROM_AWS_REGION:
		return "AWS_REGION";
	case REGION_FROM_AWS_DEFAULT_REGION:
		return "AWS_DEFAULT_REGION";
	case REGION_FROM_PROFILE:
		return "shared config profile";
	case REGION_FROM_IMDS:
		return "instance metadata (IMDSv2)";
	case REGION_FROM_NONE:
		break;
	}
	return "nowhere";
}

int
region_valid(const char *region)
{
	size_t i, n;

	if (region == NULL || (n = strlen(region)) == 0 || n > 40 ||
	    region[0] == '-' || region[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((region[i] >= 'a' && region[i] <= 'z') ||
		    (region[i] >= '0' && region[i] <= '9') || region[i] == '-'))
			return 0;
	return 1;
}

const char *
region_dns_suffix(const char *region)
{
	return strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" :
	    "amazonaws.com";
}

void
region_endpoint_url(struct buf *out, const char *service, const char *region,
    int fips)
{
	buf_printf(out, "https://%s%s.%s.%s", service, fips ? "-fips" : "",
	    region, region_dns_suffix(region));
}

void
region_endpoint_or(struct buf *out, const char *override, const char *service,
    const char *region, int fips)
{
	size_t n;

	if (override != NULL && *override != '\0') {
		for (n = strlen(override); n > 0 && override[n - 1] == '/'; n--)
			;
		buf_add(out, override, n);
	} else
		region_endpoint_url(out, service, region, fips);
}
