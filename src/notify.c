/* notify: systemd notification datagrams on $NOTIFY_SOCKET (include/notify.h). */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "notify.h"

/* Set after a failed send, cleared by a successful one: warn once per run. */
static int notify_failing;

/* Is there a service manager to talk to? */
static int
notify_enabled(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e != NULL && *e != '\0';
}

/*
 * Fill sun from $NOTIFY_SOCKET: "/path" or "@abstract". Returns the address
 * length, 0 when the variable is unset or empty, -1 with errno when the
 * value is not an address this daemon can use.
 */
static int
notify_address(struct sockaddr_un *sun, const char **name)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	*name = e;
	if (e == NULL || *e == '\0')
		return 0;
	if (*e != '/' && *e != '@') {
		errno = EAFNOSUPPORT;	/* e.g. vsock:, systemd >= 254 in VMs */
		return -1;
	}
	n = strlen(e);
	if (n > sizeof(sun->sun_path) - (*e == '/')) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, e, n);
	if (*e == '@')
		sun->sun_path[0] = '\0';
	else
		n++;	/* count the NUL of a path, as systemd does */
	return (int)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* Log a failed send: a warning the first time, debug while it persists. */
static void
notify_failed(const char *name, const char *msg)
{
	int saved = errno;
	size_t klen = strcspn(msg, "=");

	if (!notify_failing)
		log_warn("systemd notification %.*s to %s failed", (int)klen,
		    msg, name ? name : "(unset)");
	else
		log_debug("systemd notification %.*s to %s failed: %s",
		    (int)klen, msg, name ? name : "(unset)", strerror(saved));
	notify_failing = 1;
	errno = saved;
}

int
notify_send(const char *msg)
{
	struct sockaddr_un sun;
	const char *name;
	int fd, len, saved;
	ssize_t r;

	if ((len = notify_address(&sun, &name)) <= 0) {
		if (len == -1)
			notify_failed(name, msg);
		return len;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		notify_failed(name, msg);
		return -1;
	}
	do {
		r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, (socklen_t)len);
	} while (r == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	if (r == -1) {
		notify_failed(name, msg);
		return -1;
	}
	if (notify_failing)
		log_info("systemd notifications to %s work again", name);
	notify_failing = 0;
	return 1;
}

int
notify_ready(void)
{
	return notify_send("READY=1");
}

int
notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	return notify_send(msg);
}

/*
 * Make b one safe assignment: control characters become spaces, and a
 * message longer than NOTIFY_MAX is cut before a UTF-8 continuation byte.
 */
static void
notify_sanitize(struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			b->data[i] = ' ';
	if (b->len <= NOTIFY_MAX)
		return;
	b->len = NOTIFY_MAX;
	while (b->len > 0 && ((unsigned char)b->data[b->len] & 0xc0) == 0x80)
		b->len--;
	b->data[b->len] = '\0';
}

int
notify_status(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	if (!notify_enabled())
		return 0;
	buf_addstr(&b, "STATUS=");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	notify_sanitize(&b);
	rc = notify_send(b.data);
	buf_free(&b);
	return rc;
}

/*
 * Parse a positive decimal number from the environment; 0 when the
 * variable is unset or not such a number.
 */
static uint64_t
notify_env_u64(const char *var)
{
	const char *s = getenv(var);
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return v;
}

uint64_t
notify_watchdog_interval_usec(void)
{
	uint64_t usec = notify_env_u64("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (usec == 0 || !notify_enabled())
		return 0;
	if (pid != NULL && notify_env_u64("WATCHDOG_PID") != (uint64_t)getpid())
		return 0;
	return usec / 2 > 0 ? usec / 2 : 1;
}

int
notify_watchdog(void)
{
	if (notify_watchdog_interval_usec() == 0)
		return 0;
	return notify_send("WATCHDOG=1");
}
