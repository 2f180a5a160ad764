/*
 * The other programs an exec runs, judged like an exec of each (see
 * decide.h, docs/decode.md): a "#!" script's interpreter, an ELF
 * interpreter that is not the dynamic loader, the program the dynamic
 * loader is asked to run. The judging itself is the policy library's
 * pol_engine_judge_exec (policy/engine_exec.c), shared with `attesta
 * score` so the dry run gives the gate's number. Exec verification then
 * checks what was mapped. A hook that judges more of an exec (e.g. a
 * wrapper chain) goes here.
 */
#include "policy/engine.h"
#include "supervisor/run/decide.h"

int sup_decide_exec(const struct sup_gate *gate, struct sup_held *held, double trust)
{
	return pol_engine_judge_exec(gate->engine, held->action, trust, &held->decision);
}
