/* report.h - rax-diff's text divergence report and the --json report. */
#ifndef RAX_HARNESS_REPORT_H
#define RAX_HARNESS_REPORT_H

#include <stdio.h>

#include "json.h"
#include "lockstep.h"

/* The full text report of one divergence (state side by side, memory, history). */
void report_divergence(FILE *f, const struct diff_result *r, const struct diff_divergence *d);

/* The --kernel run's figures: strategy, exits, RAM checks, window end, counts. */
void report_kernel(FILE *f, const struct diff_result *r);

/* One test as a JSON object (status, steps, every stored divergence in full). */
void report_json_test(struct json *w, const struct diff_result *r);

#endif
