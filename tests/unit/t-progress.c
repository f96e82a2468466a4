/* t-progress.c: the meter stays silent off a terminal. */
#include <stdio.h>
#include <unistd.h>

#include "platform/platform.h"
#include "tap.h"

int
main(void)
{
	struct bk_progress p;

	/* The test harness's stderr is a pipe or file, never a terminal. */
	bk_progress_init(&p, 1, "x", 0);
	ok(p.enabled == isatty(2), "enabled only on a terminal");
	bk_progress_add(&p, 100);
	bk_progress_add(&p, 28);
	ok(p.bytes == 128, "counts bytes");
	bk_progress_end(&p);
	ok(p.enabled == 0, "end disables");
	bk_progress_init(&p, 0, NULL, 0);
	ok(p.enabled == 0, "off without -P");
	return tap_done();
}
