/*
 * interrupt.c - the signal handlers behind ms_interrupted().
 *
 * The handler does only what is async-signal-safe: it counts, writes a
 * fixed line, and on the second signal unlinks the lock path (kept in a
 * static buffer, set outside the handler) and calls _exit.
 */
#include "util/common.h"
#include "util/interrupt.h"

#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t signals;
static char lock_path[4096];
static volatile sig_atomic_t have_lock;

static void say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

static void on_signal(int sig)
{
	(void)sig;
	if (++signals == 1) {
		say("\nInterrupt received: no new change starts; the ones in "
		    "flight finish, waits are abandoned.\nInterrupt again to "
		    "stop at once.\n");
		return;
	}
	say("\nTwo interrupts received: stopping at once. The journal "
	    "lets the next run find what was in flight.\n");
	if (have_lock)
		unlink(lock_path);
	_exit(1);
}

void ms_interrupt_watch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool ms_interrupted(void)
{
	return signals > 0;
}

void ms_interrupt_lock(const char *path)
{
	have_lock = 0;
	if (path && strlen(path) < sizeof(lock_path)) {
		memcpy(lock_path, path, strlen(path) + 1);
		have_lock = 1;
	}
}

bool ms_interruptible_sleep(double seconds)
{
	double end = ms_now() + seconds, left;

	while (!ms_interrupted() && (left = end - ms_now()) > 0)
		ms_sleep(left < 0.05 ? left : 0.05);
	return ms_interrupted();
}
