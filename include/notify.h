/*
 * notify: the systemd notification protocol, spoken without libsystemd.
 * Each message is one datagram of newline-separated KEY=value assignments,
 * sent on an AF_UNIX SOCK_DGRAM socket to $NOTIFY_SOCKET (a path, or an
 * abstract name written with a leading '@'). The kernel attaches our
 * credentials, so NotifyAccess=main accepts the messages of the main process.
 *
 * Every function is a no-op returning 0 when $NOTIFY_SOCKET is unset or
 * empty (not running under systemd Type=notify); it returns 1 when the
 * message was sent and -1 with errno set when it could not be. The first
 * failure of a run of failures is logged as a warning, the rest at debug
 * level, so a broken socket does not flood the log.
 */
#ifndef VPCFLOWD_NOTIFY_H
#define VPCFLOWD_NOTIFY_H

#include <stdint.h>

/* Longest datagram sent; systemd 252 reads at most PIPE_BUF bytes. */
#define NOTIFY_MAX	2048

/* Send msg as it is (several assignments may be joined with '\n'). */
int		notify_send(const char *msg);

/* READY=1: start-up (or a reload) is complete. */
int		notify_ready(void);
/*
 * STATUS=text: one line shown by systemctl status. Control characters in
 * the text become spaces (a '\n' would start another assignment) and the
 * message is cut at NOTIFY_MAX bytes on a UTF-8 character boundary.
 */
int		notify_status(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* STOPPING=1: shutdown has begun. */
int		notify_stopping(void);
/*
 * RELOADING=1 with MONOTONIC_USEC=now, which systemd >= 253 requires for
 * Type=notify-reload and older versions ignore. Send notify_ready() when
 * the reload is done, whether it succeeded or not.
 */
int		notify_reloading(void);

/*
 * WATCHDOG=1, only when the service manager asked for it: $WATCHDOG_USEC is
 * a positive number and $WATCHDOG_PID is unset or our pid. Otherwise 0.
 */
int		notify_watchdog(void);
/*
 * How often to call notify_watchdog(), in microseconds: half of
 * $WATCHDOG_USEC as sd_watchdog_enabled(3) recommends, or 0 when the
 * watchdog is not enabled for this process.
 */
uint64_t	notify_watchdog_interval_usec(void);

#endif
