/*
 * creds_profile: the shared files (creds_provider.h). The profile is
 * aws.profile, else AWS_PROFILE, else "default"; it is looked up in the
 * credentials file ("[name]", AWS_SHARED_CREDENTIALS_FILE, default
 * ~/.aws/credentials) first, then in the config file ("[profile name]",
 * or "[default]", AWS_CONFIG_FILE, default ~/.aws/config). A profile gives
 * static keys, or role_arn with source_profile / credential_source (STS
 * AssumeRole signed with those credentials), or role_arn with
 * web_identity_token_file. Both files are read again at each fetch.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "creds_provider.h"
#include "ini.h"

struct profile_ctx {
	const struct creds_opts	*opts;
	char			*profile;	/* NULL: the profile in force */
	int			 depth;		/* source_profile hops so far */
	struct buf		 name;
};

/* The two files, parsed. */
struct profile_files {
	struct buf	cred_path;
	struct buf	conf_path;
	struct ini	cred;
	struct ini	conf;
};

const char *
creds_profile_name(const char *explicit_profile, int *is_explicit)
{
	const char *env = creds_getenv("AWS_PROFILE");

	*is_explicit = 1;
	if (explicit_profile != NULL && *explicit_profile != '\0')
		return explicit_profile;
	if (env != NULL)
		return env;
	*is_explicit = 0;
	return "default";
}

/* $VAR, else ~/.aws/NAME with ~ from HOME or the password database. */
static void
profile_path(struct buf *out, const char *var, const char *name)
{
	const char *v = creds_getenv(var), *home = creds_getenv("HOME");
	struct passwd *pw;

	if (v != NULL) {
		buf_addstr(out, v);
		return;
	}
	if (home == NULL && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	buf_printf(out, "%s/.aws/%s", home != NULL ? home : "", name);
}

/* Read and parse one file; a missing file is an empty one. */
static int
profile_load(const char *path, struct ini *ini, struct buf *err)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	int r = 0;

	memset(ini, 0, sizeof(*ini));
	if (buf_read_file(&text, path) == -1) {
		if (errno != ENOENT) {
			buf_printf(err, "cannot read %s: %s", path,
			    strerror(errno));
			r = -1;
		}
	} else if (ini_parse(ini, text.data ? text.data : "", text.len,
	    &why) == -1) {
		buf_printf(err, "%s: %s", path, why.data);
		r = -1;
	}
	buf_wipe_free(&text);
	buf_free(&why);
	return r;
}

static void
profile_files_free(struct profile_files *f)
{
	buf_free(&f->cred_path);
	buf_free(&f->conf_path);
	ini_free(&f->cred);
	ini_free(&f->conf);
}

/* Read both files (paths from the environment or ~/.aws); -1 with err. */
static int
profile_files_load(struct profile_files *f, struct buf *err)
{
	memset(f, 0, sizeof(*f));
	profile_path(&f->cred_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	profile_path(&f->conf_path, "AWS_CONFIG_FILE", "config");
	if (profile_load(f->cred_path.data, &f->cred, err) == -1 ||
	    profile_load(f->conf_path.data, &f->conf, err) == -1) {
		profile_files_free(f);
		return -1;
	}
	return 0;
}

/* Whether a config file section header names profile. */
static int
profile_conf_section(const char *section, const char *profile)
{
	if (strncmp(section, "profile", 7) == 0 &&
	    (section[7] == ' ' || section[7] == '\t')) {
		section += 7;
		while (*section == ' ' || *section == '\t')
			section++;
		return strcmp(section, profile) == 0;
	}
	return strcmp(profile, "default") == 0 && strcmp(section, "default") == 0;
}

/* Whether profile has a section in either file. */
static int
profile_exists(const struct profile_files *f, const char *profile)
{
	size_t i;

	if (ini_has_section(&f->cred, profile))
		return 1;
	for (i = 0; i < f->conf.nsections; i++)
		if (profile_conf_section(f->conf.sections[i], profile))
			return 1;
	return 0;
}

/*
 * The value of key in profile: the credentials file first, then the
 * config file; *file says which (may be NULL).
 */
static const char *
profile_value(const struct profile_files *f, const char *profile,
    const char *key, const char **file)
{
	const struct ini_entry *e = ini_get(&f->cred, profile, key);
	size_t i;

	if (e == NULL)
		for (i = 0; i < f->conf.n; i++)
			if (profile_conf_section(f->conf.e[i].section, profile) &&
			    strcmp(f->conf.e[i].key, key) == 0)
				e = &f->conf.e[i];
	if (file != NULL && e != NULL)
		*file = ini_get(&f->cred, profile, key) == e ?
		    f->cred_path.data : f->conf_path.data;
	return e != NULL && *e->value != '\0' ? e->value : NULL;
}

/* The static keys of profile into *out: CREDS_OK, _NOT_FOUND or _ERROR. */
static enum creds_result
profile_keys(const struct profile_files *f, const char *profile,
    struct aws_creds *out, struct buf *err)
{
	const char *id = profile_value(f, profile, "aws_access_key_id", NULL);
	const char *secret = profile_value(f, profile, "aws_secret_access_key",
	    NULL);

	if (id == NULL && secret == NULL) {
		if (profile_value(f, profile, "credential_process", NULL) ||
		    profile_value(f, profile, "sso_start_url", NULL) ||
		    profile_value(f, profile, "sso_session", NULL)) {
			buf_printf(err, "profile '%s' uses credential_process "
			    "or SSO, which vpcflowd does not support", profile);
			return CREDS_ERROR;
		}
		buf_printf(err, "profile '%s' has no credentials", profile);
		return CREDS_NOT_FOUND;
	}
	if (id == NULL || secret == NULL) {
		buf_printf(err, "profile '%s' has %s but no %s", profile,
		    id ? "aws_access_key_id" : "aws_secret_access_key",
		    id ? "aws_secret_access_key" : "aws_access_key_id");
		return CREDS_ERROR;
	}
	out->access_key_id = buf_strdup(id);
	out->secret_access_key = buf_strdup(secret);
	out->session_token = buf_strdup(profile_value(f, profile,
	    "aws_session_token", NULL));
	return CREDS_OK;
}

/*
 * The provider of the credentials that assume profile's role: the
 * source_profile (its own keys when it names itself) or the
 * credential_source. NULL with err when the profile is inconsistent.
 */
static struct creds_provider *
profile_source(struct profile_ctx *c, const struct profile_files *f,
    const char *profile, struct buf *err)
{
	const char *src = profile_value(f, profile, "source_profile", NULL);
	const char *cs = profile_value(f, profile, "credential_source", NULL);
	struct creds_provider *p = NULL;
	struct aws_creds keys;

	memset(&keys, 0, sizeof(keys));
	if ((src == NULL) == (cs == NULL))
		buf_printf(err, "profile '%s' has role_arn and needs exactly "
		    "one of source_profile and credential_source", profile);
	else if (cs != NULL) {
		if (strcmp(cs, "Environment") == 0)
			p = creds_env_new();
		else if (strcmp(cs, "Ec2InstanceMetadata") == 0)
			p = creds_imds_new(c->opts);
		else if (strcmp(cs, "EcsContainer") == 0)
			p = creds_container_new(c->opts);
		else
			buf_printf(err, "profile '%s': credential_source must "
			    "be Environment, Ec2InstanceMetadata or "
			    "EcsContainer", profile);
	} else if (strcmp(src, profile) != 0) {
		if (!profile_exists(f, src))
			buf_printf(err, "source_profile '%s' of profile '%s' "
			    "not found in %s or %s", src, profile,
			    f->cred_path.data, f->conf_path.data);
		else
			p = creds_profile_new(c->opts, src, c->depth + 1);
	} else if (profile_keys(f, profile, &keys, err) == CREDS_OK)
		p = creds_static_new("source profile keys", &keys);
	aws_creds_clear(&keys);
	return p;
}

/* role_arn in profile: AssumeRole (or AssumeRoleWithWebIdentity). */
static enum creds_result
profile_assume(struct creds_provider *self, const struct profile_files *f,
    const char *profile, const char *role, struct aws_creds *out,
    struct buf *err)
{
	struct profile_ctx *c = self->ctx;
	const char *webid = profile_value(f, profile, "web_identity_token_file",
	    NULL);
	const char *session = profile_value(f, profile, "role_session_name",
	    NULL);
	struct creds_provider *src;
	struct creds_chain *base;
	enum creds_result r;

	creds_provider_rename(self, &c->name, "shared files (profile '%s', "
	    "role %s)", profile, role);
	if (profile_value(f, profile, "mfa_serial", NULL) != NULL) {
		buf_printf(err, "profile '%s' needs an MFA code (mfa_serial), "
		    "which a daemon cannot give", profile);
		return CREDS_ERROR;
	}
	if (c->depth >= CREDS_MAX_ROLE_DEPTH) {
		buf_printf(err, "more than %d profiles chained by source_profile "
		    "(a loop?)", CREDS_MAX_ROLE_DEPTH);
		return CREDS_ERROR;
	}
	if (webid != NULL)
		src = creds_webid_new(c->opts, webid, role, session);
	else if ((src = profile_source(c, f, profile, err)) == NULL)
		return CREDS_ERROR;
	if (webid != NULL) {
		r = src->get(src, out, err);
		creds_provider_free(src);
		return r == CREDS_NOT_FOUND ? CREDS_ERROR : r;
	}
	base = creds_chain_of(&src, 1);
	if (creds_get(base, time(NULL), err) == NULL)
		r = CREDS_ERROR;
	else
		r = creds_assume_role(c->opts, base, role, profile_value(f,
		    profile, "external_id", NULL), session, out, err);
	creds_chain_free(base);
	return r;
}

/*
 * The profile in force, from both files read afresh: its role (assumed),
 * else its static keys. A missing profile is an error only when named.
 */
static enum creds_result
profile_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	struct profile_ctx *c = p->ctx;
	struct profile_files f;
	const char *profile, *role;
	enum creds_result r;
	int is_explicit = 1;

	profile = c->profile != NULL ? c->profile :
	    creds_profile_name(c->opts->profile, &is_explicit);
	creds_provider_rename(p, &c->name, "shared files (profile '%s')",
	    profile);
	if (profile_files_load(&f, err) == -1)
		return CREDS_ERROR;
	if (!profile_exists(&f, profile)) {
		buf_printf(err, "profile '%s' not found in %s or %s", profile,
		    f.cred_path.data, f.conf_path.data);
		r = is_explicit ? CREDS_ERROR : CREDS_NOT_FOUND;
	} else if ((role = profile_value(&f, profile, "role_arn", NULL)) != NULL)
		r = profile_assume(p, &f, profile, role, out, err);
	else
		r = profile_keys(&f, profile, out, err);
	profile_files_free(&f);
	return r;
}

static void
profile_free(struct creds_provider *p)
{
	struct profile_ctx *c = p->ctx;

	free(c->profile);
	buf_free(&c->name);
	free(c);
}

struct creds_provider *
creds_profile_new(const struct creds_opts *opts, const char *profile,
    int depth)
{
	struct profile_ctx *c = creds_alloc(sizeof(*c));

	c->opts = opts;
	c->profile = buf_strdup(profile);
	c->depth = depth;
	buf_addstr(&c->name, "shared files");
	return creds_provider_new(c->name.data, profile_get, profile_free, c);
}

int
creds_profile_region(const char *profile, char **region, struct buf *where,
    struct buf *err)
{
	struct profile_files f;
	const char *v, *file = NULL;
	int is_explicit;

	*region = NULL;
	profile = creds_profile_name(profile, &is_explicit);
	if (profile_files_load(&f, err) == -1)
		return -1;
	if ((v = profile_value(&f, profile, "region", &file)) != NULL) {
		*region = buf_strdup(v);
		buf_printf(where, "profile '%s' in %s", profile, file);
	}
	profile_files_free(&f);
	return v != NULL ? 0 : 1;
}
