-- The shared model registry: models, their immutable versions with every file of the version directory, the
-- active version of each model and the history of activations. One revision counter changes with every write, so
-- that a replica that missed a notification still sees that something changed.
CREATE TABLE models (
    name       text PRIMARY KEY,
    active     integer,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE versions (
    model      text NOT NULL REFERENCES models (name),
    number     integer NOT NULL CHECK (number > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, number)
);

CREATE TABLE version_files (
    model   text NOT NULL,
    number  integer NOT NULL,
    path    text NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (model, number, path),
    FOREIGN KEY (model, number) REFERENCES versions (model, number)
);

CREATE TABLE activations (
    id           bigserial PRIMARY KEY,
    model        text NOT NULL,
    number       integer NOT NULL,
    activated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (model, number) REFERENCES versions (model, number)
);

ALTER TABLE models ADD FOREIGN KEY (name, active) REFERENCES versions (model, number) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE registry_revision (
    id       integer PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO registry_revision VALUES (1, 0);
