/*
 * t-progress.c: the -P meter of common/progress.c, with stderr on a
 * pseudo-terminal (output processing off, so the bytes read are the bytes
 * written) and on a pipe: on only when asked and on a terminal; the line
 * "\rLABEL: SIZE (PCT%)  RATE/s  H:MM:SS\033[K"; no redraw within a quarter
 * of a second of the last; the final line ended with "\n", after which
 * the meter is off; bk_progress_break ending an open line once.
 *
 * Time is never waited for: the meter's clocks (start, last) are set
 * back or forward, and the figures that depend on the time the test takes
 * are checked against the range that time allows.
 */
#define _XOPEN_SOURCE 700	/* posix_openpt, grantpt, ptsname */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include "platform/internal.h"
#include "tap.h"

#define MARK '\001'		/* never in the meter's output */

static int reader = -1;		/* what stderr writes to, read back */
static char got[4096];

/* Makes stderr the terminal of a new pseudo-terminal, or a new pipe. */
static int
stderr_to(int terminal)
{
	struct termios t;
	int fds[2], w = -1;
	char *name;

	fflush(stderr);
	if (reader >= 0)
		close(reader);
	if (terminal) {
		if ((reader = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
		    grantpt(reader) < 0 || unlockpt(reader) < 0 ||
		    (name = ptsname(reader)) == NULL ||
		    (w = open(name, O_RDWR | O_NOCTTY)) < 0 ||
		    tcgetattr(w, &t) < 0)
			return -1;
		t.c_oflag &= ~(tcflag_t)OPOST;
		if (tcsetattr(w, TCSANOW, &t) < 0)
			return -1;
	} else {
		if (pipe(fds) < 0)
			return -1;
		reader = fds[0];
		w = fds[1];
	}
	if (dup2(w, STDERR_FILENO) < 0)
		return -1;
	close(w);
	return 0;
}

/*
 * What the meter wrote since the last call: a mark written after it comes
 * back last, in order, so nothing is waited for but the mark itself.
 */
static const char *
written(void)
{
	struct pollfd pf = { .fd = reader, .events = POLLIN };
	size_t n = 0;
	ssize_t r;
	char c = MARK;

	fflush(stderr);
	if (write(STDERR_FILENO, &c, 1) != 1)
		return "(no mark written)";
	for (;;) {
		/* A guard against a hang, not a timing check. */
		if (poll(&pf, 1, 120000) != 1 ||
		    (r = read(reader, got + n, sizeof(got) - 1 - n)) <= 0)
			return "(the mark never came back)";
		n += (size_t)r;
		if (got[n - 1] == MARK)
			break;
		if (n == sizeof(got) - 1)
			return "(too much output)";
	}
	got[n - 1] = '\0';
	return got;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Whether line is "\r" HEAD "  " RATE "/s  " H:MM:SS "\033[K" TAIL, for
 * bytes counted over between lo and hi seconds: RATE as bk_format_size
 * writes bytes/lo or bytes/hi, the time a whole second in [lo, hi].
 */
static int
meter_line(const char *line, const char *head, uint64_t bytes, double lo,
    double hi, const char *tail)
{
	char want[256], r1[32], r2[32];
	const char *p = line;
	long h, m, s;
	int k;

	snprintf(want, sizeof(want), "\r%s  ", head);
	if (strncmp(p, want, strlen(want)) != 0)
		return 0;
	p += strlen(want);
	bk_format_size(r1, sizeof(r1), (uint64_t)((double)bytes / lo));
	bk_format_size(r2, sizeof(r2), (uint64_t)((double)bytes / hi));
	if (strncmp(p, r1, strlen(r1)) == 0)
		p += strlen(r1);
	else if (strncmp(p, r2, strlen(r2)) == 0)
		p += strlen(r2);
	else
		return 0;
	if (strncmp(p, "/s  ", 4) != 0)
		return 0;
	p += 4;
	if (sscanf(p, "%ld:%2ld:%2ld%n", &h, &m, &s, &k) != 3 ||
	    p[k - 3] != ':' || m > 59 || s > 59 ||
	    h * 3600 + m * 60 + s < (long)lo || h * 3600 + m * 60 + s > (long)hi)
		return 0;
	p += k;
	return strncmp(p, "\033[K", 3) == 0 && strcmp(p + 3, tail) == 0;
}

/* Sets a clock of the meter d seconds from now (back when negative). */
static void
set_clock(struct timespec *ts, time_t d)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += d;
}

int
main(void)
{
	/* 1.5 MiB a second for 1000 s: 1.5 GiB; the total twice that. */
	const uint64_t part = 1536ULL * 1024 * 1000, total = 2 * part;
	struct bk_progress p;
	double t0, t1;

	/* ---- off a terminal, and without -P: silent, still counting ---- */
	if (stderr_to(0) < 0) {
		printf("1..0 # SKIP no pipe\n");
		return 0;
	}
	bk_progress_init(&p, 1, "x", 0);
	ok(!p.enabled, "-P with stderr on a pipe: off");
	bk_progress_add(&p, 100);
	bk_progress_add(&p, 28);
	ok(p.bytes == 128, "... still counts the bytes");
	bk_progress_end(&p);
	bk_progress_break();
	is_str(written(), "", "... and writes nothing");

	if (stderr_to(1) < 0) {
		printf("# no pseudo-terminal: the rest is skipped\n");
		return tap_done();
	}
	bk_progress_init(&p, 0, "x", 0);
	ok(!p.enabled, "no -P, stderr on a terminal: off");
	set_clock(&p.last, -3600);
	bk_progress_add(&p, 100);
	bk_progress_end(&p);
	is_str(written(), "", "... and writes nothing");

	/* ---- on a terminal, with -P ---- */
	bk_progress_init(&p, 1, "dump.sql", total);
	ok(p.enabled, "-P, stderr on a terminal: on");
	is_str(written(), "", "... nothing drawn before the first bytes");
	/* A redraw that has just happened, as far as the meter can tell. */
	set_clock(&p.last, 3600);
	bk_progress_add(&p, part - 1000);
	is_str(written(), "", "no redraw within a quarter second of the last");
	ok(p.bytes == part - 1000, "... the bytes counted all the same");

	t0 = now();
	set_clock(&p.start, -1000);
	set_clock(&p.last, -1);
	bk_progress_add(&p, 1000);
	t1 = now();
	ok(meter_line(written(), "dump.sql: 1.5 GiB ( 50%)", part, 1000,
	    1000 + (t1 - t0), ""),
	    "a quarter second after: the line redrawn, not ended");
	ok((double)p.last.tv_sec + (double)p.last.tv_nsec / 1e9 >= t0,
	    "... the redraw's time kept for the next");

	bk_progress_break();
	is_str(written(), "\n", "a break ends the open line");
	bk_progress_break();
	is_str(written(), "", "... once");

	set_clock(&p.last, 3600);
	bk_progress_add(&p, part);
	t0 = now();
	set_clock(&p.start, -3725);
	bk_progress_end(&p);
	t1 = now();
	ok(meter_line(written(), "dump.sql: 2.9 GiB (100%)", total, 3725,
	    3725 + (t1 - t0), "\n"),
	    "the end draws the total at once, H:MM:SS, and ends the line");
	ok(!p.enabled, "... then the meter is off");
	set_clock(&p.last, -3600);
	bk_progress_add(&p, 1);
	bk_progress_end(&p);
	bk_progress_break();
	is_str(written(), "", "... and writes nothing more, no break either");

	/* ---- no label, no total: the size and rate alone ---- */
	bk_progress_init(&p, 1, NULL, 0);
	t0 = now();
	set_clock(&p.start, -10);
	set_clock(&p.last, -10);
	bk_progress_add(&p, 5000);
	t1 = now();
	ok(meter_line(written(), "4.9 KiB", 5000, 10, 10 + (t1 - t0), ""),
	    "no label and no total: no \"LABEL: \", no percentage");
	bk_progress_end(&p);
	written();

	/* ---- the percentage, padded to three places ---- */
	bk_progress_init(&p, 1, "x", 2000);
	set_clock(&p.start, -100);
	set_clock(&p.last, -100);
	t0 = now();
	bk_progress_add(&p, 100);
	t1 = now();
	ok(meter_line(written(), "x: 100 B (  5%)", 100, 100, 100 + (t1 - t0),
	    ""), "5%% of the total: \"(  5%%)\"");
	bk_progress_end(&p);
	written();
	return tap_done();
}
