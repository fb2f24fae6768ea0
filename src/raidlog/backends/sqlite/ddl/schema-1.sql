-- Schema version 1 of a raidlog SQLite register, as release 976a6e5 created it: copied
-- from sqlite_master of tests/backends/golden/schema-1.db, in creation order (SQLite
-- makes the full-text index's own tables). Frozen: never edit this file; change the
-- schema with a new migration in raidlog/backends/sqlite/schema.py.

CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT NOT NULL
);

CREATE TABLE "counters" (
   "prefix" TEXT PRIMARY KEY,
   "last" INTEGER NOT NULL
);

CREATE TABLE "refs" (
   "id" INTEGER PRIMARY KEY,
   "ref" TEXT NOT NULL,
   "kind" TEXT NOT NULL
);

CREATE UNIQUE INDEX refs_ref ON refs (ref);

CREATE TABLE "risks" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "cause" TEXT,
   "event" TEXT,
   "effect" TEXT,
   "category" TEXT,
   "inherent_probability" INTEGER,
   "inherent_impact" INTEGER,
   "inherent_score" INTEGER,
   "probability" INTEGER,
   "impact" INTEGER,
   "score" INTEGER,
   "residual_probability" INTEGER,
   "residual_impact" INTEGER,
   "residual_score" INTEGER,
   "target_probability" INTEGER,
   "target_impact" INTEGER,
   "target_score" INTEGER,
   "proximity" TEXT,
   "response_category" TEXT,
   "response" TEXT,
   "actionee" TEXT,
   "cost_exposure" REAL
);

CREATE UNIQUE INDEX risks_ref ON risks (ref);

CREATE INDEX risks_body ON risks (body);

CREATE INDEX risks_status ON risks (status);

CREATE INDEX risks_node ON risks (node);

CREATE INDEX risks_due ON risks (due);

CREATE INDEX risks_next_review ON risks (next_review);

CREATE INDEX risks_owner ON risks (owner);

CREATE INDEX risks_score ON risks (score);

CREATE TRIGGER risks_no_delete BEFORE DELETE ON risks BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "actions" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "assignee" TEXT,
   "progress" INTEGER,
   "completed_on" TEXT
);

CREATE UNIQUE INDEX actions_ref ON actions (ref);

CREATE INDEX actions_body ON actions (body);

CREATE INDEX actions_status ON actions (status);

CREATE INDEX actions_node ON actions (node);

CREATE INDEX actions_due ON actions (due);

CREATE INDEX actions_next_review ON actions (next_review);

CREATE INDEX actions_owner ON actions (owner);

CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "issues" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "issue_type" TEXT,
   "severity" TEXT,
   "resolution" TEXT
);

CREATE UNIQUE INDEX issues_ref ON issues (ref);

CREATE INDEX issues_body ON issues (body);

CREATE INDEX issues_status ON issues (status);

CREATE INDEX issues_node ON issues (node);

CREATE INDEX issues_due ON issues (due);

CREATE INDEX issues_next_review ON issues (next_review);

CREATE INDEX issues_owner ON issues (owner);

CREATE TRIGGER issues_no_delete BEFORE DELETE ON issues BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "decisions" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "decision" TEXT,
   "rationale" TEXT,
   "options_considered" TEXT,
   "decided_by" TEXT,
   "decided_on" TEXT,
   "superseded_by" TEXT
);

CREATE UNIQUE INDEX decisions_ref ON decisions (ref);

CREATE INDEX decisions_body ON decisions (body);

CREATE INDEX decisions_status ON decisions (status);

CREATE INDEX decisions_node ON decisions (node);

CREATE INDEX decisions_due ON decisions (due);

CREATE INDEX decisions_next_review ON decisions (next_review);

CREATE INDEX decisions_owner ON decisions (owner);

CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "assumptions" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "validation" TEXT,
   "validated_on" TEXT
);

CREATE UNIQUE INDEX assumptions_ref ON assumptions (ref);

CREATE INDEX assumptions_body ON assumptions (body);

CREATE INDEX assumptions_status ON assumptions (status);

CREATE INDEX assumptions_node ON assumptions (node);

CREATE INDEX assumptions_due ON assumptions (due);

CREATE INDEX assumptions_next_review ON assumptions (next_review);

CREATE INDEX assumptions_owner ON assumptions (owner);

CREATE TRIGGER assumptions_no_delete BEFORE DELETE ON assumptions BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "dependencies" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "counterparty" TEXT,
   "direction" TEXT
);

CREATE UNIQUE INDEX dependencies_ref ON dependencies (ref);

CREATE INDEX dependencies_body ON dependencies (body);

CREATE INDEX dependencies_status ON dependencies (status);

CREATE INDEX dependencies_node ON dependencies (node);

CREATE INDEX dependencies_due ON dependencies (due);

CREATE INDEX dependencies_next_review ON dependencies (next_review);

CREATE INDEX dependencies_owner ON dependencies (owner);

CREATE TRIGGER dependencies_no_delete BEFORE DELETE ON dependencies BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TABLE "other_items" (
   "id" INTEGER PRIMARY KEY REFERENCES "refs"("id"),
   "kind" TEXT NOT NULL,
   "title" TEXT NOT NULL,
   "ref" TEXT NOT NULL,
   "description" TEXT,
   "owner" TEXT,
   "raised_by" TEXT,
   "raised_on" TEXT,
   "node" TEXT,
   "body" TEXT,
   "escalated_to" TEXT,
   "objectives" TEXT,
   "status" TEXT,
   "priority" TEXT,
   "rag" TEXT,
   "rag_manual" INTEGER,
   "due" TEXT,
   "next_review" TEXT,
   "closed_on" TEXT,
   "tags" TEXT,
   "links" TEXT,
   "extra" TEXT,
   "version" INTEGER NOT NULL,
   "created_at" TEXT,
   "created_by" TEXT,
   "updated_at" TEXT,
   "updated_by" TEXT,
   "fields" TEXT
);

CREATE UNIQUE INDEX other_items_ref ON other_items (ref);

CREATE INDEX other_items_body ON other_items (body);

CREATE INDEX other_items_status ON other_items (status);

CREATE INDEX other_items_node ON other_items (node);

CREATE INDEX other_items_due ON other_items (due);

CREATE INDEX other_items_next_review ON other_items (next_review);

CREATE INDEX other_items_owner ON other_items (owner);

CREATE INDEX other_items_kind ON other_items (kind, status);

CREATE TRIGGER other_items_no_delete BEFORE DELETE ON other_items BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TRIGGER refs_no_delete BEFORE DELETE ON refs BEGIN SELECT RAISE(ABORT, 'raidlog: items are never deleted; withdraw or close them with a reason'); END;

CREATE TRIGGER decisions_frozen BEFORE UPDATE ON decisions WHEN old.status IN ('accepted', 'rejected', 'deprecated', 'superseded') AND NOT (old.status = 'accepted' AND new.status IN ('superseded', 'deprecated') AND new.id IS old.id AND new.title IS old.title AND new.ref IS old.ref AND new.description IS old.description AND new.owner IS old.owner AND new.raised_by IS old.raised_by AND new.raised_on IS old.raised_on AND new.node IS old.node AND new.body IS old.body AND new.escalated_to IS old.escalated_to AND new.objectives IS old.objectives AND new.priority IS old.priority AND new.rag IS old.rag AND new.rag_manual IS old.rag_manual AND new.due IS old.due AND new.next_review IS old.next_review AND new.tags IS old.tags AND new.links IS old.links AND new.extra IS old.extra AND new.created_at IS old.created_at AND new.created_by IS old.created_by AND new.decision IS old.decision AND new.rationale IS old.rationale AND new.options_considered IS old.options_considered AND new.decided_by IS old.decided_by AND new.decided_on IS old.decided_on) BEGIN SELECT RAISE(ABORT, 'raidlog: an accepted, rejected, deprecated or superseded decision is immutable; supersede it with a new decision'); END;

CREATE TABLE "links" (
   "source" TEXT REFERENCES "refs"("ref"),
   "position" INTEGER,
   "relation" TEXT NOT NULL,
   "target" TEXT NOT NULL,
   PRIMARY KEY ("source", "position")
);

CREATE INDEX links_target ON links (target, source, position);

CREATE TABLE "escalations" (
   "body" TEXT,
   "ref" TEXT REFERENCES "refs"("ref"),
   PRIMARY KEY ("body", "ref")
);

CREATE INDEX escalations_ref ON escalations (ref);

CREATE TABLE "events" (
   "seq" INTEGER PRIMARY KEY,
   "ref" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "action" TEXT NOT NULL,
   "version" INTEGER NOT NULL,
   "actor" TEXT NOT NULL,
   "at" TEXT NOT NULL,
   "channel" TEXT NOT NULL,
   "changes" TEXT NOT NULL,
   "reason" TEXT,
   "source" TEXT,
   "prev_hash" TEXT NOT NULL,
   "hash" TEXT NOT NULL
);

CREATE INDEX events_ref ON events (ref, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'raidlog: the event log is append-only'); END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'raidlog: the event log is append-only'); END;

CREATE TABLE "nodes" (
   "name" TEXT PRIMARY KEY,
   "level" TEXT,
   "parent" TEXT,
   "body" TEXT,
   "version" INTEGER NOT NULL
);

CREATE TABLE "bodies" (
   "name" TEXT PRIMARY KEY,
   "node" TEXT,
   "score_tolerance" INTEGER,
   "cost_tolerance" REAL,
   "slip_tolerance_days" INTEGER,
   "review_cadence_days" INTEGER,
   "version" INTEGER NOT NULL
);

CREATE VIRTUAL TABLE item_fts USING fts5(words, tokenize = "ascii tokenchars '_'", detail = none, columnsize = 0);

CREATE VIEW register AS SELECT id, 'risk' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, score, inherent_score, residual_score, cost_exposure FROM risks UNION ALL SELECT id, 'action' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM actions UNION ALL SELECT id, 'issue' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM issues UNION ALL SELECT id, 'decision' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM decisions UNION ALL SELECT id, 'assumption' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM assumptions UNION ALL SELECT id, 'dependency' AS kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM dependencies UNION ALL SELECT id, kind, title, ref, description, owner, raised_by, raised_on, node, body, escalated_to, objectives, status, priority, rag, rag_manual, due, next_review, closed_on, tags, links, extra, version, created_at, created_by, updated_at, updated_by, NULL AS score, NULL AS inherent_score, NULL AS residual_score, NULL AS cost_exposure FROM other_items;
