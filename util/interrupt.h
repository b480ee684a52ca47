/*
 * interrupt.h - Ctrl-C and SIGTERM during a run that changes AWS (apply,
 * destroy): the first asks it to stop, the second stops it at once.
 *
 * After the first, the walk starts nothing new, the calls in flight
 * finish, waits give up (the object goes on in AWS), and the run writes
 * and commits the state, releases the lock and exits 1. The second exits
 * at once: the lock file is removed, and the journal makes the next run
 * safe (docs/interrupts.md).
 */
#ifndef MS_INTERRUPT_H
#define MS_INTERRUPT_H

#include <stdbool.h>

/* Handle SIGINT and SIGTERM from now on, for this process. */
void ms_interrupt_watch(void);
/* Whether a first signal has come. Safe from any thread. */
bool ms_interrupted(void);
/*
 * The state lock file this process holds (NULL: none), removed by a
 * second signal before the process exits. The path is copied.
 */
void ms_interrupt_lock(const char *path);
/*
 * Sleep up to seconds, less when a signal comes first (checked every
 * 50 ms: the signal may be delivered to another thread). Returns whether
 * it was interrupted.
 */
bool ms_interruptible_sleep(double seconds);

#endif
