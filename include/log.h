/*
 * log: a small logging family in the style of the OpenBSD daemons.
 * Lines go to stderr: with a "<N>" syslog priority prefix when journald reads
 * them ($JOURNAL_STREAM is set), with an ISO-8601 UTC timestamp otherwise.
 */
#ifndef VPCFLOWD_LOG_H
#define VPCFLOWD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
	LOG_LEVEL_TRACE = 8	/* -vvv: wire-level detail, still never secrets */
};

/* verbosity: 0 = info (default), 1 = debug (-v), 2+ = trace (-vv), -1 = warnings only (-q). */
void	log_init(int verbosity);
int	log_enabled(enum log_level level);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* appends strerror(errno) */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* error, no exit */
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));	/* + strerror, exit 1 */
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));	/* exit 1 */
void	log_vmsg(enum log_level level, int with_errno, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif
