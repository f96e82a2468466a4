/* progress.c: the -P meter: bytes, rate and elapsed time on stderr. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/internal.h"

/*
 * Set while a meter's line is drawn without its final newline: a message
 * printed then would be glued to the figures.  Atomic because bk-verify
 * counts bytes in one thread while another may report a problem.
 */
static atomic_int line_open;

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
bk_progress_init(struct bk_progress *p, int want, const char *label,
    uint64_t total)
{
	memset(p, 0, sizeof(*p));
	/* Cron mails whatever we print: only a person at a terminal gets it. */
	p->enabled = want && isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void
draw(struct bk_progress *p, const struct timespec *now, int final)
{
	char done[32], rate[32];
	double el = seconds_between(&p->start, now);
	long s = (long)el;

	bk_format_size(done, sizeof(done), p->bytes);
	bk_format_size(rate, sizeof(rate),
	    el > 0 ? (uint64_t)((double)p->bytes / el) : 0);
	fprintf(stderr, "\r%s%s%s", p->label ? p->label : "",
	    p->label ? ": " : "", done);
	if (p->total > 0)
		fprintf(stderr, " (%3.0f%%)",
		    100.0 * (double)p->bytes / (double)p->total);
	fprintf(stderr, "  %s/s  %ld:%02ld:%02ld\033[K%s", rate, s / 3600,
	    s / 60 % 60, s % 60, final ? "\n" : "");
	fflush(stderr);
	atomic_store(&line_open, !final);
}

void
bk_progress_break(void)
{
	/* The figures stay on their line: they show how far the run got. */
	if (atomic_exchange(&line_open, 0))
		fputc('\n', stderr);
}

void
bk_progress_add(struct bk_progress *p, uint64_t n)
{
	struct timespec now;

	p->bytes += n;
	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds_between(&p->last, &now) < 0.25)
		return;
	p->last = now;
	draw(p, &now, 0);
}

void
bk_progress_end(struct bk_progress *p)
{
	struct timespec now;

	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, &now, 1);
	p->enabled = 0;
}
