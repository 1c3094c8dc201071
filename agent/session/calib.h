/* calib.h - measures what a cgoscope probe pair costs on this machine, on the agent's own code. */
#ifndef CGOSCOPE_CALIB_H
#define CGOSCOPE_CALIB_H

#include "probeplan.h"
#include "topts.h"

struct cgoscope_bpf;

/*
 * For every placement p: attaches its enter/leave programs to look-alike
 * sites in cgoscope's own text (CALL instructions for call-sites; entry and
 * RET for entry+ret; entry and a CALL for entry+call-site), registers
 * cgoscope itself as traced, runs `rounds` calls with and without the probes
 * and fills cost[p]. Leaves no links or map entries behind. Returns 0, or
 * -errno with every cost zeroed (nothing is calibrated then).
 */
int calib__measure(struct cgoscope_bpf *skel, unsigned int rounds,
		   struct probe_cost cost[PLACEMENT__MAX]);

#endif /* CGOSCOPE_CALIB_H */
