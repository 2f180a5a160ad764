/*
 * The fleet database schema as versioned migrations (`attesta db init`,
 * docs/fleet.md "The fleet database"). Each entry below is one version:
 * once released it is never edited; a change is a new version. They are
 * applied in order, in one transaction with their version rows, under an
 * advisory lock, so running db init twice (or on two hosts at once) is
 * safe and the second run changes nothing.
 *
 * Roles (NOLOGIN groups; grant them to login roles):
 *   attesta_node       reads its own registry row (row-level security:
 *                      node_id = the login role's name) and reads bundles
 *   attesta_publisher  pushes bundles (INSERT; no UPDATE or DELETE: the
 *                      history is kept)
 *   attesta_operator   enrolls, revokes, sets rollout states; reads bundles;
 *                      revokes, reinstates agents, records incidents;
 *                      reads every node's shipped audit rows and prunes them
 *   attesta_node       also records one trust outcome at a time, inserts
 *                      (never updates or deletes) its own shipped audit
 *                      rows and keeps its own shipping cursor (row-level
 *                      security)
 *   attesta_approver   answers held calls of any node (approval queue);
 *                      attesta_node members and the holding node's own
 *                      role are refused (docs/approvals.md)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_db.h"

static const char *const migrations[] = {
	/* 1: the enrollment registry, with a change notification */
	"CREATE TABLE IF NOT EXISTS attesta_enrollment ("
	" node_id text PRIMARY KEY,"
	" enrollment_ref text NOT NULL,"
	" status text NOT NULL CHECK (status IN ('active', 'revoked')),"
	" rollout_state text NOT NULL CHECK (rollout_state IN"
	"  ('none', 'pending', 'acknowledged', 'active', 'rollback', 'failed')),"
	" enrolled_at double precision NOT NULL,"
	" updated_at double precision NOT NULL);"
	"CREATE OR REPLACE FUNCTION attesta_enrollment_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_ENROLLMENT "',"
	"  CASE WHEN TG_OP = 'DELETE' THEN OLD.node_id ELSE NEW.node_id END);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_enrollment_notify ON attesta_enrollment;"
	"CREATE TRIGGER attesta_enrollment_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_enrollment FOR EACH ROW EXECUTE FUNCTION attesta_enrollment_notify();",

	/* 2: signed bundles by name@version, history kept */
	"CREATE TABLE IF NOT EXISTS attesta_bundle ("
	" name text NOT NULL,"
	" version text NOT NULL,"
	" sha256 text NOT NULL,"
	" data bytea NOT NULL,"
	" pushed_at timestamptz NOT NULL DEFAULT now(),"
	" pushed_by text NOT NULL DEFAULT session_user,"
	" seq bigserial,"
	" PRIMARY KEY (name, version));"
	"CREATE OR REPLACE FUNCTION attesta_bundle_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_BUNDLE "', NEW.name || '@' || NEW.version);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_bundle_notify ON attesta_bundle;"
	"CREATE TRIGGER attesta_bundle_notify AFTER INSERT ON attesta_bundle"
	" FOR EACH ROW EXECUTE FUNCTION attesta_bundle_notify();",

	/* 3: roles */
	"DO $r$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_node') THEN"
	"  CREATE ROLE attesta_node NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_publisher') THEN"
	"  CREATE ROLE attesta_publisher NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_operator') THEN"
	"  CREATE ROLE attesta_operator NOLOGIN; END IF;"
	" END $r$;"
	"REVOKE ALL ON attesta_enrollment, attesta_bundle FROM PUBLIC;"
	"GRANT USAGE ON SCHEMA public TO attesta_node, attesta_publisher, attesta_operator;"
	"GRANT SELECT ON attesta_bundle TO attesta_node, attesta_publisher, attesta_operator;"
	"GRANT INSERT ON attesta_bundle TO attesta_publisher;"
	"GRANT USAGE ON SEQUENCE attesta_bundle_seq_seq TO attesta_publisher;"
	"GRANT SELECT ON attesta_enrollment TO attesta_node;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_enrollment TO attesta_operator;"
	"ALTER TABLE attesta_enrollment ENABLE ROW LEVEL SECURITY;"
	"DROP POLICY IF EXISTS attesta_node_own_row ON attesta_enrollment;"
	"CREATE POLICY attesta_node_own_row ON attesta_enrollment FOR SELECT TO attesta_node"
	" USING (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_operator_rows ON attesta_enrollment;"
	"CREATE POLICY attesta_operator_rows ON attesta_enrollment TO attesta_operator"
	" USING (true) WITH CHECK (true);",
	/* 4: shared trust (docs/trust.md, "Trust in the fleet database"): the
	 * history summary of trust.c, one row per agent and per (agent,
	 * domain). Nobody but the owner writes the tables: nodes record an
	 * outcome through attesta_trust_record() (one UPDATE of the row,
	 * which locks it and adds to its newest version: concurrent nodes
	 * never lose an update; the time is the server's), operators
	 * revoke, reinstate and record incidents through the other
	 * functions. A stolen node credential cannot set a score, clear a
	 * revocation or a denial. Every change notifies attesta_trust. */
	"CREATE TABLE IF NOT EXISTS attesta_trust_agent ("
	" agent_id text PRIMARY KEY"
	"  CHECK (octet_length(agent_id) BETWEEN 1 AND 256 AND agent_id !~ '[[:cntrl:]]'),"
	" revoked boolean NOT NULL DEFAULT false,"
	" revoked_at double precision NOT NULL DEFAULT 0,"
	" revocations bigint NOT NULL DEFAULT 0 CHECK (revocations >= 0),"
	" updated_at double precision NOT NULL);"
	"CREATE TABLE IF NOT EXISTS attesta_trust_domain ("
	" agent_id text NOT NULL REFERENCES attesta_trust_agent (agent_id) ON DELETE CASCADE,"
	" domain text NOT NULL"
	"  CHECK (octet_length(domain) BETWEEN 1 AND 256 AND domain !~ '[[:cntrl:]]'),"
	" approvals bigint NOT NULL DEFAULT 0 CHECK (approvals >= 0),"
	" denials bigint NOT NULL DEFAULT 0 CHECK (denials >= 0),"
	" incidents_low bigint NOT NULL DEFAULT 0 CHECK (incidents_low >= 0),"
	" incidents_medium bigint NOT NULL DEFAULT 0 CHECK (incidents_medium >= 0),"
	" incidents_high bigint NOT NULL DEFAULT 0 CHECK (incidents_high >= 0),"
	" incidents_critical bigint NOT NULL DEFAULT 0 CHECK (incidents_critical >= 0),"
	" first_seen double precision NOT NULL,"
	" last_activity double precision NOT NULL,"
	" last_incident_at double precision NOT NULL DEFAULT 0,"
	" last_incident_action text,"
	" PRIMARY KEY (agent_id, domain));"
	"CREATE OR REPLACE FUNCTION attesta_trust_notify() RETURNS trigger"
	" LANGUAGE plpgsql AS $f$ BEGIN"
	" PERFORM pg_notify('" POL_FLEET_CHANNEL_TRUST "',"
	"  CASE WHEN TG_OP = 'DELETE' THEN OLD.agent_id ELSE NEW.agent_id END);"
	" RETURN NULL; END $f$;"
	"DROP TRIGGER IF EXISTS attesta_trust_agent_notify ON attesta_trust_agent;"
	"CREATE TRIGGER attesta_trust_agent_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_trust_agent FOR EACH ROW EXECUTE FUNCTION attesta_trust_notify();"
	"DROP TRIGGER IF EXISTS attesta_trust_domain_notify ON attesta_trust_domain;"
	"CREATE TRIGGER attesta_trust_domain_notify AFTER INSERT OR UPDATE OR DELETE"
	" ON attesta_trust_domain FOR EACH ROW EXECUTE FUNCTION attesta_trust_notify();"
	/* the agent row, and the domain row (at most 64 per agent, as the
	 * trust store: pol_limits.h) */
	"CREATE OR REPLACE FUNCTION attesta_trust_domain_row(p_agent text, p_domain text,"
	" p_now double precision) RETURNS void LANGUAGE plpgsql"
	" SET search_path = pg_catalog, public, pg_temp AS $f$ BEGIN"
	" INSERT INTO attesta_trust_agent (agent_id, updated_at) VALUES (p_agent, p_now)"
	"  ON CONFLICT (agent_id) DO NOTHING;"
	" IF NOT EXISTS (SELECT 1 FROM attesta_trust_domain WHERE agent_id = p_agent"
	"   AND domain = p_domain)"
	"  AND (SELECT count(*) FROM attesta_trust_domain WHERE agent_id = p_agent) >= 64 THEN"
	"  RAISE EXCEPTION 'attesta: agent % has 64 trust domains already', p_agent"
	"   USING ERRCODE = '54000'; END IF;"
	" INSERT INTO attesta_trust_domain (agent_id, domain, first_seen, last_activity)"
	"  VALUES (p_agent, p_domain, p_now, p_now) ON CONFLICT (agent_id, domain) DO NOTHING;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_record(p_agent text, p_domain text,"
	" p_approved boolean) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp());"
	" d text := coalesce(p_domain, 'general'); BEGIN"
	" IF p_approved IS NULL THEN RAISE EXCEPTION 'attesta: outcome is null'; END IF;"
	" PERFORM attesta_trust_domain_row(p_agent, d, t);"
	" UPDATE attesta_trust_domain SET"
	"  approvals = least(approvals + p_approved::int, 9007199254740991),"
	"  denials = least(denials + (NOT p_approved)::int, 9007199254740991),"
	"  last_activity = greatest(last_activity, t)"
	"  WHERE agent_id = p_agent AND domain = d;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_incident(p_agent text, p_domain text,"
	" p_severity text, p_action text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp());"
	" d text := coalesce(p_domain, 'general'); BEGIN"
	" IF p_severity IS NULL OR p_severity NOT IN ('low', 'medium', 'high', 'critical') THEN"
	"  RAISE EXCEPTION 'attesta: invalid severity'; END IF;"
	" PERFORM attesta_trust_domain_row(p_agent, d, t);"
	" UPDATE attesta_trust_domain SET"
	"  incidents_low = least(incidents_low + (p_severity = 'low')::int, 9007199254740991),"
	"  incidents_medium = least(incidents_medium + (p_severity = 'medium')::int,"
	"   9007199254740991),"
	"  incidents_high = least(incidents_high + (p_severity = 'high')::int, 9007199254740991),"
	"  incidents_critical = least(incidents_critical + (p_severity = 'critical')::int,"
	"   9007199254740991),"
	"  last_incident_at = t, last_incident_action = left(p_action, 256),"
	"  last_activity = greatest(last_activity, t)"
	"  WHERE agent_id = p_agent AND domain = d;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_revoke(p_agent text) RETURNS void"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp()); BEGIN"
	" INSERT INTO attesta_trust_agent AS a (agent_id, revoked, revoked_at, revocations,"
	"  updated_at) VALUES (p_agent, true, t, 1, t)"
	"  ON CONFLICT (agent_id) DO UPDATE SET revoked = true, revoked_at = t,"
	"  revocations = least(a.revocations + 1, 9007199254740991), updated_at = t"
	"  WHERE NOT a.revoked;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_trust_reinstate(p_agent text) RETURNS boolean"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $f$"
	" DECLARE t double precision := extract(epoch FROM clock_timestamp()); BEGIN"
	" UPDATE attesta_trust_agent SET revoked = false, updated_at = t"
	"  WHERE agent_id = p_agent AND revoked;"
	" IF NOT FOUND THEN RETURN false; END IF;"
	" UPDATE attesta_trust_domain SET approvals = 0, denials = 0,"
	"  last_activity = greatest(last_activity, t) WHERE agent_id = p_agent;"
	" RETURN true; END $f$;"
	"REVOKE ALL ON attesta_trust_agent, attesta_trust_domain FROM PUBLIC;"
	"REVOKE ALL ON FUNCTION attesta_trust_domain_row(text, text, double precision),"
	" attesta_trust_record(text, text, boolean),"
	" attesta_trust_incident(text, text, text, text), attesta_trust_revoke(text),"
	" attesta_trust_reinstate(text) FROM PUBLIC;"
	"GRANT SELECT ON attesta_trust_agent, attesta_trust_domain"
	" TO attesta_node, attesta_operator;"
	"GRANT EXECUTE ON FUNCTION attesta_trust_record(text, text, boolean) TO attesta_node;"
	"GRANT EXECUTE ON FUNCTION attesta_trust_incident(text, text, text, text),"
	" attesta_trust_revoke(text), attesta_trust_reinstate(text) TO attesta_operator;",
	/* 5: approvals from any machine (docs/approvals.md, "The fleet approval
	 * queue"): a held call is a pending row; approvers answer through
	 * SECURITY DEFINER functions that take the identity from session_user
	 * and refuse the node's own role (and every attesta_node member); the
	 * database records first-seen, answer time, review time and refuses
	 * answers given before the minimum review time. No role has INSERT,
	 * UPDATE or DELETE on these tables: only the functions write. */
	"DO $r$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_approver') THEN"
	"  CREATE ROLE attesta_approver NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attesta_node') THEN"
	"  CREATE ROLE attesta_node NOLOGIN; END IF;"
	" END $r$;"
	"CREATE TABLE IF NOT EXISTS attesta_approval ("
	" id bigserial PRIMARY KEY,"
	" node_id text NOT NULL,"
	" node_role text NOT NULL DEFAULT session_user,"
	" session_id text NOT NULL,"
	" held_id integer NOT NULL,"
	" agent_id text NOT NULL,"
	" level text NOT NULL,"
	" challenge text NOT NULL,"
	" approvers_required integer NOT NULL CHECK (approvers_required BETWEEN 1 AND 64),"
	" minimum_review_seconds double precision NOT NULL CHECK (minimum_review_seconds >= 0),"
	" item jsonb NOT NULL,"
	" parts jsonb NOT NULL CHECK (jsonb_typeof(parts) = 'array'),"
	" created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
	" deadline timestamptz NOT NULL,"
	" status text NOT NULL DEFAULT 'pending' CHECK (status IN"
	"  ('pending', 'approved', 'denied', 'timed_out', 'escalated')),"
	" decided_at timestamptz,"
	" reason text);"
	"CREATE TABLE IF NOT EXISTS attesta_approval_response ("
	" approval_id bigint NOT NULL REFERENCES attesta_approval (id),"
	" role text NOT NULL,"
	" part integer,"
	" first_seen timestamptz NOT NULL,"
	" answered_at timestamptz,"
	" review_seconds double precision,"
	" answers text[],"
	" session boolean NOT NULL DEFAULT false,"
	" decision text CHECK (decision IN ('answer', 'deny')),"
	" reason text,"
	" result text,"
	" PRIMARY KEY (approval_id, role),"
	" UNIQUE (approval_id, part));"
	"REVOKE ALL ON attesta_approval, attesta_approval_response FROM PUBLIC;"
	"GRANT SELECT ON attesta_approval TO attesta_node, attesta_approver;"
	"ALTER TABLE attesta_approval ENABLE ROW LEVEL SECURITY;"
	"DROP POLICY IF EXISTS attesta_approval_node_rows ON attesta_approval;"
	"CREATE POLICY attesta_approval_node_rows ON attesta_approval FOR SELECT TO attesta_node"
	" USING (node_role = session_user);"
	"DROP POLICY IF EXISTS attesta_approval_approver_rows ON attesta_approval;"
	"CREATE POLICY attesta_approval_approver_rows ON attesta_approval FOR SELECT"
	" TO attesta_approver USING (true);"
	/* node side */
	"CREATE OR REPLACE FUNCTION attesta_approval_hold(p_node text, p_session text,"
	" p_held integer, p_agent text, p_level text, p_challenge text, p_required integer,"
	" p_min double precision, p_item jsonb, p_parts jsonb, p_seconds double precision)"
	" RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
	" AS $f$ DECLARE v bigint; BEGIN"
	" INSERT INTO attesta_approval (node_id, node_role, session_id, held_id, agent_id,"
	"  level, challenge, approvers_required, minimum_review_seconds, item, parts, deadline)"
	" VALUES (p_node, session_user, p_session, p_held, p_agent, p_level, p_challenge,"
	"  p_required, p_min, p_item, p_parts,"
	"  clock_timestamp() + make_interval(secs => greatest(p_seconds, 0)))"
	" RETURNING id INTO v;"
	" PERFORM pg_notify('attesta_approval_result', v::text);"
	" RETURN v; END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_close(p_id bigint, p_status text,"
	" p_reason text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $f$ BEGIN"
	" UPDATE attesta_approval SET status = p_status, decided_at = clock_timestamp(),"
	"  reason = left(p_reason, 400)"
	" WHERE id = p_id AND node_role = session_user AND status = 'pending';"
	" PERFORM pg_notify('attesta_approval_result', p_id::text); END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_node_poll(p_session text)"
	" RETURNS TABLE (o_id bigint, o_role text, o_part integer, o_age double precision,"
	"  o_decision text, o_answers jsonb, o_session boolean, o_reason text)"
	" LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $f$"
	" SELECT r.approval_id, r.role, r.part,"
	"  extract(epoch FROM clock_timestamp() - r.first_seen)::float8,"
	"  r.decision, to_jsonb(r.answers), r.session, r.reason"
	" FROM attesta_approval_response r JOIN attesta_approval a ON a.id = r.approval_id"
	" WHERE a.node_role = session_user AND a.session_id = p_session"
	"  AND a.status = 'pending' AND r.result IS NULL"
	" ORDER BY r.approval_id, r.first_seen, r.role $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_node_ack(p_id bigint, p_role text,"
	" p_result text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $f$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM attesta_approval WHERE id = p_id"
	"  AND node_role = session_user) THEN RAISE EXCEPTION 'attesta: not_node'; END IF;"
	" IF p_result = 'too_early' THEN"
	"  UPDATE attesta_approval_response SET answered_at = NULL, answers = NULL,"
	"   decision = NULL, review_seconds = NULL WHERE approval_id = p_id AND role = p_role;"
	" ELSE"
	"  UPDATE attesta_approval_response SET result = left(p_result, 200)"
	"   WHERE approval_id = p_id AND role = p_role;"
	" END IF;"
	" PERFORM pg_notify('attesta_approval_result', p_id::text); END $f$;"
	/* approver side: the identity is session_user, never a parameter */
	"CREATE OR REPLACE FUNCTION attesta_approval_check(p_id bigint) RETURNS attesta_approval"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$"
	" DECLARE a attesta_approval; BEGIN"
	" SELECT * INTO a FROM attesta_approval WHERE id = p_id FOR UPDATE;"
	" IF NOT FOUND THEN RAISE EXCEPTION 'attesta: no_such_id'; END IF;"
	" IF a.node_role = session_user OR pg_has_role(session_user, 'attesta_node', 'MEMBER')"
	"  THEN RAISE EXCEPTION 'attesta: node_role: role \"%\" is a node role and may not"
	" answer held calls', session_user; END IF;"
	" IF a.status <> 'pending' OR a.deadline <= clock_timestamp() THEN"
	"  RAISE EXCEPTION 'attesta: decided: the call is %', CASE WHEN a.status = 'pending'"
	"  THEN 'past its deadline' ELSE a.status END; END IF;"
	" RETURN a; END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_begin(p_id bigint)"
	" RETURNS TABLE (o_part integer, o_review_left double precision)"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$"
	" DECLARE a attesta_approval; r attesta_approval_response; n integer; BEGIN"
	" a := attesta_approval_check(p_id);"
	" SELECT * INTO r FROM attesta_approval_response x"
	"  WHERE x.approval_id = p_id AND x.role = session_user;"
	" IF FOUND THEN"
	"  IF r.answered_at IS NOT NULL OR r.part IS NULL THEN"
	"   RAISE EXCEPTION 'attesta: already_answered'; END IF;"
	" ELSE"
	"  SELECT count(x.part) INTO n FROM attesta_approval_response x WHERE x.approval_id = p_id;"
	"  IF n >= jsonb_array_length(a.parts) THEN RAISE EXCEPTION 'attesta: busy'; END IF;"
	"  INSERT INTO attesta_approval_response (approval_id, role, part, first_seen)"
	"  VALUES (p_id, session_user, n, clock_timestamp()) RETURNING * INTO r;"
	"  PERFORM pg_notify('attesta_approval', p_id::text);"
	" END IF;"
	" o_part := r.part;"
	" o_review_left := greatest(0, a.minimum_review_seconds"
	"  - extract(epoch FROM clock_timestamp() - r.first_seen))::float8;"
	" RETURN NEXT; END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_answer(p_id bigint, p_answers text[],"
	" p_session boolean) RETURNS double precision LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = public, pg_temp AS $f$"
	" DECLARE a attesta_approval; r attesta_approval_response; w double precision; BEGIN"
	" a := attesta_approval_check(p_id);"
	" SELECT * INTO r FROM attesta_approval_response x"
	"  WHERE x.approval_id = p_id AND x.role = session_user FOR UPDATE;"
	" IF NOT FOUND THEN RAISE EXCEPTION 'attesta: not_begun'; END IF;"
	" IF r.answered_at IS NOT NULL OR r.part IS NULL THEN"
	"  RAISE EXCEPTION 'attesta: already_answered'; END IF;"
	" IF p_answers IS NULL OR cardinality(p_answers) > 16 OR EXISTS (SELECT 1 FROM"
	"  unnest(p_answers) s WHERE s IS NULL OR length(s) > 4096) THEN"
	"  RAISE EXCEPTION 'attesta: bad_request'; END IF;"
	" w := a.minimum_review_seconds - extract(epoch FROM clock_timestamp() - r.first_seen);"
	" IF w > 0 THEN RETURN w; END IF;"
	" UPDATE attesta_approval_response SET answered_at = clock_timestamp(),"
	"  review_seconds = extract(epoch FROM clock_timestamp() - first_seen),"
	"  answers = p_answers, session = coalesce(p_session, false), decision = 'answer'"
	" WHERE approval_id = p_id AND role = session_user;"
	" PERFORM pg_notify('attesta_approval', p_id::text);"
	" RETURN 0; END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_deny(p_id bigint, p_reason text)"
	" RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"
	" AS $f$ DECLARE a attesta_approval; BEGIN"
	" a := attesta_approval_check(p_id);"
	" INSERT INTO attesta_approval_response AS x (approval_id, role, part, first_seen,"
	"  answered_at, decision, reason)"
	" VALUES (p_id, session_user, NULL, clock_timestamp(), clock_timestamp(), 'deny',"
	"  left(p_reason, 300))"
	" ON CONFLICT (approval_id, role) DO UPDATE SET decision = 'deny',"
	"  answered_at = clock_timestamp(), reason = left(p_reason, 300), result = NULL;"
	" PERFORM pg_notify('attesta_approval', p_id::text); END $f$;"
	"CREATE OR REPLACE FUNCTION attesta_approval_list(p_id bigint)"
	" RETURNS TABLE (o_id bigint, o_node text, o_node_role text, o_agent text,"
	"  o_level text, o_challenge text, o_required integer, o_passed integer,"
	"  o_seconds_left double precision, o_min double precision, o_item jsonb,"
	"  o_parts jsonb, o_status text, o_reason text, o_your_part integer,"
	"  o_your_result text, o_you text)"
	" LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $f$"
	" SELECT a.id, a.node_id, a.node_role, a.agent_id, a.level, a.challenge,"
	"  a.approvers_required,"
	"  (SELECT count(*) FROM attesta_approval_response x WHERE x.approval_id = a.id"
	"   AND x.result IN ('waiting', 'approved'))::integer,"
	"  greatest(0, extract(epoch FROM a.deadline - clock_timestamp()))::float8,"
	"  a.minimum_review_seconds, a.item, a.parts, a.status, a.reason, y.part, y.result,"
	"  session_user::text"
	" FROM attesta_approval a LEFT JOIN attesta_approval_response y"
	"  ON y.approval_id = a.id AND y.role = session_user"
	" WHERE (p_id IS NULL AND a.status = 'pending' AND a.deadline > clock_timestamp())"
	"  OR a.id = p_id ORDER BY a.id $f$;"
	"REVOKE ALL ON FUNCTION attesta_approval_hold(text, text, integer, text, text, text,"
	" integer, double precision, jsonb, jsonb, double precision),"
	" attesta_approval_close(bigint, text, text), attesta_approval_node_poll(text),"
	" attesta_approval_node_ack(bigint, text, text), attesta_approval_check(bigint),"
	" attesta_approval_begin(bigint), attesta_approval_answer(bigint, text[], boolean),"
	" attesta_approval_deny(bigint, text), attesta_approval_list(bigint) FROM PUBLIC;"
	"GRANT EXECUTE ON FUNCTION attesta_approval_hold(text, text, integer, text, text, text,"
	" integer, double precision, jsonb, jsonb, double precision),"
	" attesta_approval_close(bigint, text, text), attesta_approval_node_poll(text),"
	" attesta_approval_node_ack(bigint, text, text) TO attesta_node;"
	"GRANT EXECUTE ON FUNCTION attesta_approval_begin(bigint),"
	" attesta_approval_answer(bigint, text[], boolean), attesta_approval_deny(bigint, text),"
	" attesta_approval_list(bigint) TO attesta_approver;"
	"GRANT USAGE ON SCHEMA public TO attesta_approver;",

	/* 6: audit shipping (docs/audit.md "Shipping to PostgreSQL"): one row
	 * per local entry, the line byte for byte; the shipping cursor per
	 * (node, log identity); prune records. A node's role inserts and
	 * reads its own rows and cursor only, and can never update or
	 * delete an entry; operators read every row and prune. */
	"CREATE TABLE IF NOT EXISTS attesta_audit ("
	" node_id text NOT NULL,"
	" seq bigint NOT NULL CHECK (seq >= 0),"
	" entry_id text NOT NULL,"
	" chain_hash text NOT NULL,"
	" previous_hash text NOT NULL,"
	" intercepted_at timestamptz,"
	" line text NOT NULL,"
	" log_id text NOT NULL,"
	" shipped_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (node_id, seq));"
	"CREATE INDEX IF NOT EXISTS attesta_audit_entry_id ON attesta_audit (entry_id);"
	"CREATE INDEX IF NOT EXISTS attesta_audit_time ON attesta_audit (node_id, intercepted_at);"
	"CREATE TABLE IF NOT EXISTS attesta_audit_cursor ("
	" node_id text NOT NULL,"
	" log_id text NOT NULL,"
	" byte_offset bigint NOT NULL CHECK (byte_offset >= 0),"
	" last_seq bigint NOT NULL DEFAULT -1,"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (node_id, log_id));"
	"CREATE TABLE IF NOT EXISTS attesta_audit_pruned ("
	" node_id text PRIMARY KEY,"
	" before_seq bigint NOT NULL CHECK (before_seq >= 0),"
	" before_time text NOT NULL,"
	" pruned_at timestamptz NOT NULL DEFAULT now(),"
	" pruned_by text NOT NULL DEFAULT session_user);"
	"REVOKE ALL ON attesta_audit, attesta_audit_cursor, attesta_audit_pruned FROM PUBLIC;"
	"GRANT SELECT, INSERT ON attesta_audit TO attesta_node;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_audit_cursor TO attesta_node;"
	"GRANT SELECT ON attesta_audit_pruned TO attesta_node;"
	"GRANT SELECT, DELETE ON attesta_audit TO attesta_operator;"
	"GRANT SELECT ON attesta_audit_cursor TO attesta_operator;"
	"GRANT SELECT, INSERT, UPDATE ON attesta_audit_pruned TO attesta_operator;"
	"ALTER TABLE attesta_audit ENABLE ROW LEVEL SECURITY;"
	"ALTER TABLE attesta_audit_cursor ENABLE ROW LEVEL SECURITY;"
	"DROP POLICY IF EXISTS attesta_audit_node_rows ON attesta_audit;"
	"CREATE POLICY attesta_audit_node_rows ON attesta_audit TO attesta_node"
	" USING (node_id = session_user) WITH CHECK (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_audit_operator_rows ON attesta_audit;"
	"CREATE POLICY attesta_audit_operator_rows ON attesta_audit TO attesta_operator"
	" USING (true);"
	"DROP POLICY IF EXISTS attesta_audit_cursor_node ON attesta_audit_cursor;"
	"CREATE POLICY attesta_audit_cursor_node ON attesta_audit_cursor TO attesta_node"
	" USING (node_id = session_user) WITH CHECK (node_id = session_user);"
	"DROP POLICY IF EXISTS attesta_audit_cursor_operator ON attesta_audit_cursor;"
	"CREATE POLICY attesta_audit_cursor_operator ON attesta_audit_cursor FOR SELECT"
	" TO attesta_operator USING (true);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

static int failed(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
	return -EIO;
}

/* Run sql; 0 or -EIO with diag. */
static int run(PGconn *conn, const char *sql, const char *what, struct pol_diag *diag)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int r = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
			? 0 : failed(diag, what, PQresultErrorMessage(res));

	PQclear(res);
	return r;
}

int pol_fleet_db_init(const char *conninfo, int *ret_from, int *ret_to, struct pol_diag *diag)
{
	PGconn *conn = PQconnectdb(conninfo ? conninfo : "");
	PGresult *res;
	int from = 0, r;

	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		r = failed(diag, "cannot connect to the fleet database",
			   conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return r;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);
	r = run(conn, "SET client_min_messages = warning; BEGIN;"
		" SELECT pg_advisory_xact_lock(hashtext('attesta db init'));"
		" CREATE TABLE IF NOT EXISTS attesta_schema_version ("
		"  version integer PRIMARY KEY,"
		"  applied_at timestamptz NOT NULL DEFAULT now())", "cannot start", diag);
	if (r < 0)
		goto out;
	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM attesta_schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = failed(diag, "cannot read the schema version", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	from = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (from > N_MIGRATIONS) {
		r = pol_diag_set(diag, "postgres", 0, 0, "the database schema is version %d, newer "
				 "than this attesta knows (%d)", from, N_MIGRATIONS);
		goto out;
	}
	for (int v = from + 1; v <= N_MIGRATIONS && r == 0; v++) {
		char what[64], row[96];

		snprintf(what, sizeof(what), "migration %d", v);
		r = run(conn, migrations[v - 1], what, diag);
		snprintf(row, sizeof(row), "INSERT INTO attesta_schema_version (version) VALUES (%d)",
			 v);
		r = r ?: run(conn, row, what, diag);
	}
	r = r ?: run(conn, "COMMIT", "cannot commit", diag);
	if (r == 0) {
		*ret_from = from;
		*ret_to = N_MIGRATIONS;
	}
out:
	PQfinish(conn);
	return r;
}

#else

int pol_fleet_db_init(const char *conninfo, int *ret_from, int *ret_to, struct pol_diag *diag)
{
	(void)conninfo;
	(void)ret_from;
	(void)ret_to;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

#endif
