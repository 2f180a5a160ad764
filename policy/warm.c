/*
 * pol_warm_up(): every module's lazy one-time initialisation at once (see
 * warm.h). Trusts nothing and touches no input.
 */
#include "warm.h"

void pol_warm_up(void)
{
	pol_regex_warm();
	pol_pystr_warm();
	pol_risk_warm();
	pol_agent_warm();
	pol_audit_warm();
}
