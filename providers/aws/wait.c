/*
 * wait.c - waiting for an AWS object to reach a state, in the shape of the
 * SDK waiters: a poll, a fixed delay, success and failure states, errors
 * worth polling through.
 *
 * A wait is bounded by a deadline, not by a count of polls: delay *
 * max_attempts by default (the SDK waiter's whole span), or the
 * resource's timeout when the stack sets one. MLSTACK_WAIT_DELAY shortens
 * the delay between polls (the tests set it) but never the deadline, so a
 * slow emulator is not cut off early. The last poll happens at the
 * deadline itself, so a timeout never fires on a status older than delay.
 */
#include "util/common.h"
#include "providers/provider.h"
#include "providers/aws/aws.h"
#include "util/interrupt.h"

/* Longest delay MLSTACK_WAIT_DELAY may ask for. */
#define MAX_DELAY 3600.0

int ms_aws_wait_delay(double *out, double dflt)
{
	const char *v = getenv("MLSTACK_WAIT_DELAY");
	char *end;
	double d;

	*out = dflt;
	if (!v || !*v)
		return 0;
	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || end == v || !(d >= 0) || d > MAX_DELAY)
		return ms_error("MLSTACK_WAIT_DELAY: '%s' is not a number of "
				"seconds from 0 to 3600",
				v);
	*out = d;
	return 0;
}

void ms_aws_duration(struct ms_buf *out, double seconds)
{
	long s, h, m;

	if (!(seconds > 0))
		seconds = 0;
	if (seconds < 60 && seconds != (double)(long)seconds) {
		ms_buf_addf(out, "%.3gs", seconds);
		return;
	}
	s = (long)(seconds + 0.5);
	h = s / 3600;
	m = s % 3600 / 60;
	s %= 60;
	if (h)
		ms_buf_addf(out, "%ldh%ldm%lds", h, m, s);
	else if (m)
		ms_buf_addf(out, "%ldm%lds", m, s);
	else
		ms_buf_addf(out, "%lds", s);
}

enum ms_aws_wait_state ms_aws_wait_classify(const struct ms_aws_waiter *w,
					    const char *status)
{
	if (!status)
		return w->gone;
	if (ms_str_in(status, w->success))
		return MS_AWS_WAIT_SUCCESS;
	if (ms_str_in(status, w->failure))
		return MS_AWS_WAIT_FAILURE;
	return MS_AWS_WAIT_RETRY;
}

static void poll_release(struct ms_aws_wait_poll *p)
{
	free(p->status);
	free(p->reason);
	free(p->error_code);
	memset(p, 0, sizeof(*p));
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int ms_aws_wait(char **status, struct ms_call *call,
		const struct ms_aws_waiter *w,
		int (*poll)(struct ms_aws_wait_poll *out, void *payload),
		void *payload)
{
	struct ms_aws_wait_poll p = { NULL, NULL, NULL };
	struct ms_buf span = MS_BUF_INIT;
	char *last = NULL;
	bool polled = false;
	double delay, limit, start, deadline, now;
	int err;

	if (status)
		*status = NULL;
	err = ms_aws_wait_delay(&delay, w->delay);
	if (err)
		return err;
	start = ms_now();
	if (call && call->timeout > 0) {
		limit = call->timeout;
		if (w->started > 0)
			start = w->started;
	} else {
		limit = w->delay * w->max_attempts;
	}
	deadline = start + limit;

	for (;;) {
		poll_release(&p);
		err = poll(&p, payload);
		if (err && p.error_code &&
		    ms_str_in(p.error_code, w->retryable)) {
			ms_log(MS_LOG_DEBUG, "aws", "%s: %s; polling again",
			       w->what, ms_error_last());
			ms_error_clear();
			err = 0;
			goto next;
		}
		if (err)
			goto done;
		if (!polled || !same(last, p.status)) {
			if (p.status)
				ms_call_progress(call, "status: %s", p.status);
			free(last);
			last = p.status ? ms_strdup(p.status) : NULL;
			polled = true;
		}
		switch (ms_aws_wait_classify(w, p.status)) {
		case MS_AWS_WAIT_SUCCESS:
			goto done;
		case MS_AWS_WAIT_FAILURE:
			if (!p.status)
				err = ms_error_code(MS_ENOTFOUND,
						    "%s: no longer exists",
						    w->what);
			else if (p.reason && *p.reason)
				err = ms_error("%s: %s: %s", w->what, p.status,
					       p.reason);
			else
				err = ms_error("%s: %s (AWS gave no reason)",
					       w->what, p.status);
			goto done;
		case MS_AWS_WAIT_RETRY:
			break;
		}
	next:
		now = ms_now();
		if (now >= deadline) {
			ms_aws_duration(&span, limit);
			if (last)
				err = ms_error_code(MS_ETIMEOUT,
						    "%s: still %s after %s "
						    "(timeout)",
						    w->what, last, span.ptr);
			else if (polled)
				err = ms_error_code(MS_ETIMEOUT,
						    "%s: still not there after "
						    "%s (timeout)",
						    w->what, span.ptr);
			else
				err = ms_error_code(MS_ETIMEOUT,
						    "%s: no status after %s "
						    "(timeout)",
						    w->what, span.ptr);
			goto done;
		}
		if (ms_interruptible_sleep(
			    delay < deadline - now ? delay : deadline - now)) {
			err = ms_error_code(
				MS_EINTERRUPTED,
				"%s: stopped waiting (interrupted)%s%s; "
				"it goes on in AWS, and the next "
				"plan reads where it got to",
				w->what, last ? " while " : "",
				last ? last : "");
			goto done;
		}
	}
done:
	if (status) {
		*status = last;
		last = NULL;
	}
	free(last);
	poll_release(&p);
	ms_buf_release(&span);
	return err;
}
