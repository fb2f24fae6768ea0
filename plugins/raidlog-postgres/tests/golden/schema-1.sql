--
-- PostgreSQL database dump
--

\restrict 82hdcj1TMpiZZJB5IEAG8lheu59iZEoFHw6WhamAO2edeR7tFFkCzozADjwkP7Q

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: raidlog_golden_v1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA raidlog_golden_v1;


--
-- Name: refuse_decision_edit(); Type: FUNCTION; Schema: raidlog_golden_v1; Owner: -
--

CREATE FUNCTION raidlog_golden_v1.refuse_decision_edit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        free text[] := ARRAY['escalated_to', 'version', 'updated_at', 'updated_by',
                             'doc', 'search'];
    BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            RETURN NEW;
        END IF;
        IF (to_jsonb(NEW) - free) = (to_jsonb(OLD) - free)
           AND (NEW.doc::jsonb - free) = (OLD.doc::jsonb - free) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'raidlog: decision % is accepted and cannot be edited', OLD.ref
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'supersede it with a new decision (Register.supersede)';
    END $$;


--
-- Name: refuse_rewrite(); Type: FUNCTION; Schema: raidlog_golden_v1; Owner: -
--

CREATE FUNCTION raidlog_golden_v1.refuse_rewrite() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        RAISE EXCEPTION 'raidlog: % on %.% is refused: % rows are never changed or removed',
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'record a change through raidlog (withdraw or close the item)';
    END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: counters; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.counters (
    prefix text NOT NULL COLLATE pg_catalog."C",
    value bigint NOT NULL,
    CONSTRAINT counters_value_check CHECK ((value >= 0))
);


--
-- Name: entities; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.entities (
    entity text NOT NULL,
    name text NOT NULL COLLATE pg_catalog."C",
    version integer NOT NULL,
    doc json NOT NULL,
    CONSTRAINT entities_entity_check CHECK ((entity = ANY (ARRAY['node'::text, 'body'::text]))),
    CONSTRAINT entities_version_check CHECK ((version > 0))
);


--
-- Name: events; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.events (
    seq bigint NOT NULL,
    ref text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    action text NOT NULL,
    version integer NOT NULL,
    actor text NOT NULL,
    at timestamp with time zone NOT NULL,
    channel text NOT NULL,
    changes json NOT NULL,
    reason text,
    source text,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    CONSTRAINT events_seq_check CHECK ((seq > 0))
);


--
-- Name: items; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.items (
    ref text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL COLLATE pg_catalog."C",
    version integer NOT NULL,
    title text NOT NULL COLLATE pg_catalog."C",
    status text COLLATE pg_catalog."C",
    priority text COLLATE pg_catalog."C",
    rag text COLLATE pg_catalog."C",
    owner text COLLATE pg_catalog."C",
    body text COLLATE pg_catalog."C",
    node text COLLATE pg_catalog."C",
    due date,
    next_review date,
    raised_on date,
    closed_on date,
    score bigint,
    inherent_score bigint,
    residual_score bigint,
    cost_exposure double precision,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    escalated_to text[] NOT NULL,
    objectives text[] NOT NULL,
    tags text[] NOT NULL,
    words text NOT NULL,
    doc json NOT NULL,
    search tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(words, ' '::text))) STORED,
    CONSTRAINT items_version_check CHECK ((version > 0))
);


--
-- Name: links; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.links (
    source text NOT NULL COLLATE pg_catalog."C",
    "position" integer NOT NULL,
    relation text NOT NULL,
    target text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: meta; Type: TABLE; Schema: raidlog_golden_v1; Owner: -
--

CREATE TABLE raidlog_golden_v1.meta (
    key text NOT NULL COLLATE pg_catalog."C",
    value text NOT NULL
);


--
-- Data for Name: counters; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.counters VALUES ('R', 1);
INSERT INTO raidlog_golden_v1.counters VALUES ('A', 1);
INSERT INTO raidlog_golden_v1.counters VALUES ('AS', 1);
INSERT INTO raidlog_golden_v1.counters VALUES ('DP', 1);
INSERT INTO raidlog_golden_v1.counters VALUES ('D', 2);
INSERT INTO raidlog_golden_v1.counters VALUES ('I', 1);


--
-- Data for Name: entities; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.entities VALUES ('node', 'Programme X', 1, '{"name":"Programme X","level":"programme","parent":null,"body":"Programme Board","version":1,"entity":"node"}');
INSERT INTO raidlog_golden_v1.entities VALUES ('body', 'Programme Board', 1, '{"name":"Programme Board","node":"Programme X","score_tolerance":15,"cost_tolerance":null,"slip_tolerance_days":null,"review_cadence_days":null,"version":1,"entity":"body"}');
INSERT INTO raidlog_golden_v1.entities VALUES ('body', 'O-1', 1, '{"name":"O-1","title":"Ship the platform","node":"Programme X","owner":null,"key_results":[],"version":1,"entity":"objective"}');


--
-- Data for Name: events; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.events VALUES (1, 'node:Programme X', 'node', 'add', 1, 'ana', '2026-11-02 09:00:00+00', 'api', '[["name",null,"Programme X"],["level",null,"programme"],["body",null,"Programme Board"],["entity",null,"node"]]', NULL, NULL, '0000000000000000000000000000000000000000000000000000000000000000', '9658d338fefab8d916c5bdc9e1e23492cc630aaea4e0b191994899606a6f6edd');
INSERT INTO raidlog_golden_v1.events VALUES (2, 'body:Programme Board', 'body', 'add', 1, 'ana', '2026-11-02 09:01:00+00', 'api', '[["name",null,"Programme Board"],["node",null,"Programme X"],["score_tolerance",null,15],["entity",null,"body"]]', NULL, NULL, '9658d338fefab8d916c5bdc9e1e23492cc630aaea4e0b191994899606a6f6edd', 'd6e746099e23f012877cd0afd56ef1330220f3e53af2f3b31269faba63c43e88');
INSERT INTO raidlog_golden_v1.events VALUES (3, 'objective:O-1', 'objective', 'add', 1, 'ana', '2026-11-02 09:02:00+00', 'api', '[["name",null,"O-1"],["title",null,"Ship the platform"],["node",null,"Programme X"],["key_results",null,[]],["entity",null,"objective"]]', NULL, NULL, 'd6e746099e23f012877cd0afd56ef1330220f3e53af2f3b31269faba63c43e88', '1004ada3a80b8ec5d9baaad3420001512772801e7afb419662fd816f80b70880');
INSERT INTO raidlog_golden_v1.events VALUES (4, 'R-0001', 'risk', 'add', 1, 'ana', '2026-11-02 09:03:00+00', 'api', '[["title",null,"Supplier late"],["owner",null,"ana"],["status",null,"open"],["rag",null,"red"],["next_review",null,"2026-11-16"],["probability",null,4],["impact",null,4],["score",null,16]]', NULL, NULL, '1004ada3a80b8ec5d9baaad3420001512772801e7afb419662fd816f80b70880', '256bacd118f11f980cadabf8f8a100024a12ada4a898929f8a62804a558e309f');
INSERT INTO raidlog_golden_v1.events VALUES (5, 'A-0001', 'action', 'add', 1, 'ana', '2026-11-02 09:04:00+00', 'api', '[["title",null,"Chase the supplier"],["owner",null,"ben"],["status",null,"open"],["next_review",null,"2026-11-16"]]', NULL, NULL, '256bacd118f11f980cadabf8f8a100024a12ada4a898929f8a62804a558e309f', '471a6df943c32f6573456f6eb6a8bb6ca18a23212afacb87e1e9baee4fcd04b3');
INSERT INTO raidlog_golden_v1.events VALUES (6, 'A-0001', 'action', 'link', 2, 'ana', '2026-11-02 09:05:00+00', 'api', '[["links",[],[{"relation":"mitigates","target":"R-0001"}]]]', 'the chase lowers the risk', NULL, '471a6df943c32f6573456f6eb6a8bb6ca18a23212afacb87e1e9baee4fcd04b3', 'a595f766cedd47d183733c50ecb2b5cd5b2027079c61445e579f6e6ffc72dfe6');
INSERT INTO raidlog_golden_v1.events VALUES (7, 'R-0001', 'risk', 'escalate', 2, 'ana', '2026-11-02 09:06:00+00', 'api', '[["escalated_to",[],["Programme Board"]]]', 'score above tolerance', NULL, 'a595f766cedd47d183733c50ecb2b5cd5b2027079c61445e579f6e6ffc72dfe6', '21f6c49fcc8c2fade92243459fd96f9f981d952b91869cfbdedbb7a9b17c1bc3');
INSERT INTO raidlog_golden_v1.events VALUES (8, 'AS-0001', 'assumption', 'add', 1, 'ana', '2026-11-02 09:07:00+00', 'api', '[["title",null,"The budget holds"],["status",null,"open"],["next_review",null,"2026-12-02"]]', NULL, NULL, '21f6c49fcc8c2fade92243459fd96f9f981d952b91869cfbdedbb7a9b17c1bc3', 'afeb227dd9cc1fae8cefb2d0497cef15e72a566f573e0ad0f1ab3278d7939dad');
INSERT INTO raidlog_golden_v1.events VALUES (9, 'DP-0001', 'dependency', 'add', 1, 'ana', '2026-11-02 09:08:00+00', 'api', '[["title",null,"Identity service"],["status",null,"open"],["next_review",null,"2026-12-02"]]', NULL, NULL, 'afeb227dd9cc1fae8cefb2d0497cef15e72a566f573e0ad0f1ab3278d7939dad', '60fe3bfe3c105ea4067aa0354eb010f8622ead6cd0b1bb015e55a80d56b71730');
INSERT INTO raidlog_golden_v1.events VALUES (10, 'D-0001', 'decision', 'add', 1, 'ana', '2026-11-02 09:09:00+00', 'api', '[["title",null,"Use one register"],["status",null,"proposed"]]', NULL, NULL, '60fe3bfe3c105ea4067aa0354eb010f8622ead6cd0b1bb015e55a80d56b71730', 'f273c7a6d585e83fcb7f706866a2c5d711dc0ac526e34e14a83aced2b7d8c51c');
INSERT INTO raidlog_golden_v1.events VALUES (11, 'D-0001', 'decision', 'transition', 2, 'ana', '2026-11-02 09:10:00+00', 'api', '[["status","proposed","accepted"],["closed_on",null,"2026-11-02"]]', NULL, NULL, 'f273c7a6d585e83fcb7f706866a2c5d711dc0ac526e34e14a83aced2b7d8c51c', 'e662ec273c515b17466b55ea8cde538bdb59e8fdf0b3029fa0fb5558564d81cf');
INSERT INTO raidlog_golden_v1.events VALUES (12, 'D-0002', 'decision', 'add', 1, 'ana', '2026-11-02 09:13:00+00', 'api', '[["title",null,"Use one register per programme"],["status",null,"accepted"],["links",null,[{"relation":"supersedes","target":"D-0001"}]]]', NULL, NULL, 'e662ec273c515b17466b55ea8cde538bdb59e8fdf0b3029fa0fb5558564d81cf', '28f299c08931b5e5916c972025624188368e44736cc6b2a1d6f3b553a075c1f6');
INSERT INTO raidlog_golden_v1.events VALUES (13, 'D-0001', 'decision', 'supersede', 3, 'ana', '2026-11-02 09:13:00+00', 'api', '[["status","accepted","superseded"],["superseded_by",null,"D-0002"]]', NULL, NULL, '28f299c08931b5e5916c972025624188368e44736cc6b2a1d6f3b553a075c1f6', '859f04a480f049d7bb01beb105c59a5e12d138b85f592423c2085d561b0dd5a3');
INSERT INTO raidlog_golden_v1.events VALUES (14, 'I-0001', 'issue', 'add', 1, 'ana', '2026-11-02 09:14:00+00', 'api', '[["title",null,"Build broken"],["status",null,"open"],["priority",null,"high"],["rag",null,"red"],["next_review",null,"2026-11-09"]]', NULL, NULL, '859f04a480f049d7bb01beb105c59a5e12d138b85f592423c2085d561b0dd5a3', '308184bce929169246bb3ced42a18c94e19acb6718af9c18b640e647576e2757');


--
-- Data for Name: items; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.items VALUES ('A-0001', 'action', 2, 'Chase the supplier', 'open', NULL, NULL, 'ben', NULL, NULL, NULL, '2026-11-16', NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02 09:04:00+00', '2026-11-02 09:05:00+00', '{}', '{}', '{}', 'chase the supplier', '{"title":"Chase the supplier","ref":"A-0001","description":"","owner":"ben","raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"open","priority":null,"rag":null,"rag_manual":false,"due":null,"next_review":"2026-11-16","closed_on":null,"tags":[],"links":[{"relation":"mitigates","target":"R-0001"}],"extra":{},"version":2,"created_at":"2026-11-02T09:04:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:05:00+00:00","updated_by":"ana","assignee":null,"progress":0,"completed_on":null,"kind":"action"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('R-0001', 'risk', 2, 'Supplier late', 'open', NULL, 'red', 'ana', NULL, NULL, NULL, '2026-11-16', NULL, NULL, 16, NULL, NULL, NULL, '2026-11-02 09:03:00+00', '2026-11-02 09:06:00+00', '{"Programme Board"}', '{}', '{}', 'supplier late', '{"title":"Supplier late","ref":"R-0001","description":"","owner":"ana","raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":["Programme Board"],"objectives":[],"status":"open","priority":null,"rag":"red","rag_manual":false,"due":null,"next_review":"2026-11-16","closed_on":null,"tags":[],"links":[],"extra":{},"version":2,"created_at":"2026-11-02T09:03:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:06:00+00:00","updated_by":"ana","cause":"","event":"","effect":"","category":null,"inherent_probability":null,"inherent_impact":null,"inherent_score":null,"probability":4,"impact":4,"score":16,"residual_probability":null,"residual_impact":null,"residual_score":null,"target_probability":null,"target_impact":null,"target_score":null,"proximity":null,"response_category":null,"response":"","actionee":null,"cost_exposure":null,"kind":"risk"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('AS-0001', 'assumption', 1, 'The budget holds', 'open', NULL, NULL, NULL, NULL, NULL, NULL, '2026-12-02', NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02 09:07:00+00', '2026-11-02 09:07:00+00', '{}', '{}', '{}', 'the budget holds', '{"title":"The budget holds","ref":"AS-0001","description":"","owner":null,"raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"open","priority":null,"rag":null,"rag_manual":false,"due":null,"next_review":"2026-12-02","closed_on":null,"tags":[],"links":[],"extra":{},"version":1,"created_at":"2026-11-02T09:07:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:07:00+00:00","updated_by":"ana","validation":"","validated_on":null,"kind":"assumption"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('DP-0001', 'dependency', 1, 'Identity service', 'open', NULL, NULL, NULL, NULL, NULL, NULL, '2026-12-02', NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02 09:08:00+00', '2026-11-02 09:08:00+00', '{}', '{}', '{}', 'identity service', '{"title":"Identity service","ref":"DP-0001","description":"","owner":null,"raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"open","priority":null,"rag":null,"rag_manual":false,"due":null,"next_review":"2026-12-02","closed_on":null,"tags":[],"links":[],"extra":{},"version":1,"created_at":"2026-11-02T09:08:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:08:00+00:00","updated_by":"ana","counterparty":null,"direction":null,"kind":"dependency"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('D-0002', 'decision', 1, 'Use one register per programme', 'accepted', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02 09:13:00+00', '2026-11-02 09:13:00+00', '{}', '{}', '{}', 'use one register per programme', '{"title":"Use one register per programme","ref":"D-0002","description":"","owner":null,"raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"accepted","priority":null,"rag":null,"rag_manual":false,"due":null,"next_review":null,"closed_on":null,"tags":[],"links":[{"relation":"supersedes","target":"D-0001"}],"extra":{},"version":1,"created_at":"2026-11-02T09:13:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:13:00+00:00","updated_by":"ana","decision":"","rationale":"","options_considered":[],"decided_by":null,"decided_on":null,"superseded_by":null,"kind":"decision"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('D-0001', 'decision', 3, 'Use one register', 'superseded', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02', NULL, NULL, NULL, NULL, '2026-11-02 09:09:00+00', '2026-11-02 09:13:00+00', '{}', '{}', '{}', 'use one register', '{"title":"Use one register","ref":"D-0001","description":"","owner":null,"raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"superseded","priority":null,"rag":null,"rag_manual":false,"due":null,"next_review":null,"closed_on":"2026-11-02","tags":[],"links":[],"extra":{},"version":3,"created_at":"2026-11-02T09:09:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:13:00+00:00","updated_by":"ana","decision":"","rationale":"","options_considered":[],"decided_by":null,"decided_on":null,"superseded_by":"D-0002","kind":"decision"}', DEFAULT);
INSERT INTO raidlog_golden_v1.items VALUES ('I-0001', 'issue', 1, 'Build broken', 'open', 'high', 'red', NULL, NULL, NULL, NULL, '2026-11-09', NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-02 09:14:00+00', '2026-11-02 09:14:00+00', '{}', '{}', '{}', 'build broken', '{"title":"Build broken","ref":"I-0001","description":"","owner":null,"raised_by":null,"raised_on":null,"node":null,"body":null,"escalated_to":[],"objectives":[],"status":"open","priority":"high","rag":"red","rag_manual":false,"due":null,"next_review":"2026-11-09","closed_on":null,"tags":[],"links":[],"extra":{},"version":1,"created_at":"2026-11-02T09:14:00+00:00","created_by":"ana","updated_at":"2026-11-02T09:14:00+00:00","updated_by":"ana","issue_type":null,"severity":null,"resolution":"","kind":"issue"}', DEFAULT);


--
-- Data for Name: links; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.links VALUES ('A-0001', 0, 'mitigates', 'R-0001');
INSERT INTO raidlog_golden_v1.links VALUES ('D-0002', 0, 'supersedes', 'D-0001');


--
-- Data for Name: meta; Type: TABLE DATA; Schema: raidlog_golden_v1; Owner: -
--

INSERT INTO raidlog_golden_v1.meta VALUES ('format', 'raidlog');
INSERT INTO raidlog_golden_v1.meta VALUES ('writer', 'lock row');
INSERT INTO raidlog_golden_v1.meta VALUES ('schema_version', '1');
INSERT INTO raidlog_golden_v1.meta VALUES ('profile', '{"bands": [{"min_score": 0, "name": "low", "rag": "green", "review_days": 90}, {"min_score": 5, "name": "medium", "rag": "amber", "review_days": 30}, {"min_score": 12, "name": "high", "rag": "red", "review_days": 14}, {"min_score": 20, "name": "critical", "rag": "red", "review_days": 7}], "lifecycle": {"action": {"closed": ["done", "cancelled"], "frozen": ["done", "cancelled"], "initial": "open", "reason_required": ["done->open", "cancelled->open"], "transitions": {"blocked": ["in_progress", "cancelled"], "cancelled": ["open"], "done": ["open"], "in_progress": ["blocked", "done", "cancelled"], "open": ["in_progress", "blocked", "done", "cancelled"]}}, "assumption": {"closed": ["validated", "invalidated", "closed"], "frozen": ["closed"], "initial": "open", "reason_required": ["validated->open", "invalidated->open"], "transitions": {"closed": [], "invalidated": ["open", "closed"], "open": ["validated", "invalidated", "closed"], "validated": ["open", "closed"]}}, "decision": {"closed": ["accepted", "rejected", "deprecated", "superseded"], "frozen": ["accepted", "rejected", "deprecated", "superseded"], "initial": "proposed", "transitions": {"accepted": ["deprecated", "superseded"], "deprecated": [], "proposed": ["accepted", "rejected"], "rejected": [], "superseded": []}}, "dependency": {"closed": ["delivered", "cancelled"], "frozen": ["delivered", "cancelled"], "initial": "open", "reason_required": ["delivered->open", "cancelled->open"], "transitions": {"agreed": ["at_risk", "delivered", "cancelled"], "at_risk": ["agreed", "delivered", "cancelled"], "cancelled": ["open"], "delivered": ["open"], "open": ["agreed", "at_risk", "delivered", "cancelled"]}}, "issue": {"closed": ["resolved", "closed"], "frozen": ["closed"], "initial": "open", "reason_required": ["resolved->open"], "transitions": {"closed": [], "investigating": ["resolved", "closed"], "open": ["investigating", "resolved", "closed"], "resolved": ["closed", "open"]}}, "risk": {"closed": ["closed", "materialised"], "frozen": ["closed", "materialised"], "initial": "open", "reason_required": ["closed->open"], "transitions": {"accepted": ["open", "materialised", "closed"], "closed": ["open"], "materialised": [], "mitigating": ["open", "accepted", "materialised", "closed"], "open": ["mitigating", "accepted", "materialised", "closed"]}}}, "matrix": {"impact": ["Negligible", "Minor", "Moderate", "Major", "Severe"], "method": "multiplicative", "probability": ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]}, "name": "default", "rag_by_priority": {"critical": "red", "high": "red", "low": "green", "medium": "amber"}, "review_days": {"action": 14, "assumption": 30, "dependency": 30, "issue": 7}, "title": "raidlog default (5 x 5, multiplicative)", "vocabularies": {"issue_type": ["request for change", "off-specification", "problem/concern"], "priority": ["critical", "high", "medium", "low"], "proximity": ["imminent", "within stage", "within project", "beyond project"], "response_category": ["avoid", "reduce", "transfer", "share", "accept", "fallback", "exploit", "enhance"], "risk_category": ["strategic", "financial", "operational", "technical", "legal", "reputational", "people", "schedule", "external"], "severity": ["critical", "high", "medium", "low"]}}');


--
-- Name: counters counters_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (prefix);


--
-- Name: entities entities_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.entities
    ADD CONSTRAINT entities_pkey PRIMARY KEY (entity, name);


--
-- Name: events events_hash_key; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.events
    ADD CONSTRAINT events_hash_key UNIQUE (hash);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (seq);


--
-- Name: items items_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.items
    ADD CONSTRAINT items_pkey PRIMARY KEY (ref);


--
-- Name: links links_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.links
    ADD CONSTRAINT links_pkey PRIMARY KEY (source, "position");


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: events_ref; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX events_ref ON raidlog_golden_v1.events USING btree (ref, seq);


--
-- Name: items_body_score; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_body_score ON raidlog_golden_v1.items USING btree (body, score DESC NULLS LAST, ref);


--
-- Name: items_escalated_to; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_escalated_to ON raidlog_golden_v1.items USING gin (escalated_to);


--
-- Name: items_kind_rag; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_kind_rag ON raidlog_golden_v1.items USING btree (kind, rag);


--
-- Name: items_kind_status; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_kind_status ON raidlog_golden_v1.items USING btree (kind, status);


--
-- Name: items_node_due; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_node_due ON raidlog_golden_v1.items USING btree (node, due);


--
-- Name: items_owner; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_owner ON raidlog_golden_v1.items USING btree (owner);


--
-- Name: items_search; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_search ON raidlog_golden_v1.items USING gin (search);


--
-- Name: items_tags; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX items_tags ON raidlog_golden_v1.items USING gin (tags);


--
-- Name: links_target; Type: INDEX; Schema: raidlog_golden_v1; Owner: -
--

CREATE INDEX links_target ON raidlog_golden_v1.links USING btree (target, source, "position");


--
-- Name: items decisions_immutable; Type: TRIGGER; Schema: raidlog_golden_v1; Owner: -
--

CREATE TRIGGER decisions_immutable BEFORE UPDATE ON raidlog_golden_v1.items FOR EACH ROW WHEN (((old.kind = 'decision'::text) AND (old.status = 'accepted'::text))) EXECUTE FUNCTION raidlog_golden_v1.refuse_decision_edit();


--
-- Name: events events_append_only; Type: TRIGGER; Schema: raidlog_golden_v1; Owner: -
--

CREATE TRIGGER events_append_only BEFORE DELETE OR UPDATE ON raidlog_golden_v1.events FOR EACH ROW EXECUTE FUNCTION raidlog_golden_v1.refuse_rewrite();


--
-- Name: events events_no_truncate; Type: TRIGGER; Schema: raidlog_golden_v1; Owner: -
--

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON raidlog_golden_v1.events FOR EACH STATEMENT EXECUTE FUNCTION raidlog_golden_v1.refuse_rewrite();


--
-- Name: items items_no_delete; Type: TRIGGER; Schema: raidlog_golden_v1; Owner: -
--

CREATE TRIGGER items_no_delete BEFORE DELETE ON raidlog_golden_v1.items FOR EACH ROW EXECUTE FUNCTION raidlog_golden_v1.refuse_rewrite();


--
-- Name: items items_no_truncate; Type: TRIGGER; Schema: raidlog_golden_v1; Owner: -
--

CREATE TRIGGER items_no_truncate BEFORE TRUNCATE ON raidlog_golden_v1.items FOR EACH STATEMENT EXECUTE FUNCTION raidlog_golden_v1.refuse_rewrite();


--
-- Name: links links_source_fkey; Type: FK CONSTRAINT; Schema: raidlog_golden_v1; Owner: -
--

ALTER TABLE ONLY raidlog_golden_v1.links
    ADD CONSTRAINT links_source_fkey FOREIGN KEY (source) REFERENCES raidlog_golden_v1.items(ref);


--
-- PostgreSQL database dump complete
--

\unrestrict 82hdcj1TMpiZZJB5IEAG8lheu59iZEoFHw6WhamAO2edeR7tFFkCzozADjwkP7Q

