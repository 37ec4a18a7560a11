/* log: stderr logging with journald priorities or timestamps (include/log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_max = LOG_LEVEL_INFO;
static int log_journald;

void
log_init(int verbosity)
{
	const char *js = getenv("JOURNAL_STREAM");

	if (verbosity < 0)
		log_max = LOG_LEVEL_WARNING;
	else if (verbosity == 0)
		log_max = LOG_LEVEL_INFO;
	else if (verbosity == 1)
		log_max = LOG_LEVEL_DEBUG;
	else
		log_max = LOG_LEVEL_TRACE;
	log_journald = js != NULL && *js != '\0';
}

int
log_enabled(enum log_level level)
{
	return (int)level <= log_max;
}

/*
 * Format the whole line first and write it with one call, so lines from a
 * signal-free main loop never interleave with other writers of stderr.
 */
void
log_vmsg(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug", "trace" };
	char line[4096];
	size_t n = 0;
	int saved = errno, r;

	if (!log_enabled(level))
		return;
	if (log_journald) {
		r = snprintf(line, sizeof(line), "<%d>",
		    level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : (int)level);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		r = snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	}
	n = r > 0 ? (size_t)r : 0;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (with_errno)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
	fflush(stderr);
	errno = saved;
}

#define LOG_FUNC(name, level, with_errno)			\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vmsg(level, with_errno, fmt, ap);			\
	va_end(ap);						\
}

LOG_FUNC(log_errx, LOG_LEVEL_ERR, 0)
LOG_FUNC(log_warn, LOG_LEVEL_WARNING, 1)
LOG_FUNC(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_FUNC(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_FUNC(log_info, LOG_LEVEL_INFO, 0)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FUNC(log_trace, LOG_LEVEL_TRACE, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
