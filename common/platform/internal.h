/*
 * internal.h: private to common/platform/: what its files share and no
 * caller outside may use (tests/unit may, to test the parts).  Includes
 * platform.h.
 */
#ifndef BK_PLATFORM_INTERNAL_H
#define BK_PLATFORM_INTERNAL_H

#include "platform/platform.h"

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (parse.c); callers
 * outside use bk_calendar_at.
 */
int64_t	bk_days_from_civil(int64_t, unsigned, unsigned);

/*
 * Ends a meter's line that is still open on the terminal, so that a
 * message printed now starts on a line of its own (prog.c's bk_err and the
 * other message functions call it).  The next redraw goes on the new line.
 */
void	bk_progress_break(void);

#endif /* BK_PLATFORM_INTERNAL_H */
