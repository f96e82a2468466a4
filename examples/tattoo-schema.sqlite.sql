-- The tattoo-studio schema of seed 000, for SQLite.
-- The four tables of the seed's monthly CSV (pagamentos, sessoes,
-- comissoes, gastos) with the columns that CSV names, clientes and artistas
-- for the names joined in, and the type-specific fields monthly-export.sh
-- adds: sessao_id, status, pagamento_id, percentual, descricao.
--   sqlite3 estudio.db <tattoo-schema.sqlite.sql <tattoo-data.sql  (or .read)
-- SQLite has no date type: dates are TEXT 'YYYY-MM-DD' and timestamps TEXT
-- 'YYYY-MM-DD HH:MM:SS', which compare correctly as strings, so the
-- month bounds of bk-dump --month work on them unchanged.  Amounts are REAL.

PRAGMA foreign_keys = ON;

CREATE TABLE clientes (
	id		INTEGER PRIMARY KEY,
	nome		TEXT NOT NULL,
	email		TEXT,
	telefone	TEXT,
	observacoes	TEXT,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE artistas (
	id		INTEGER PRIMARY KEY,
	nome		TEXT NOT NULL,
	comissao_percentual REAL NOT NULL DEFAULT 50,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sessoes (
	id		INTEGER PRIMARY KEY,
	data		TEXT NOT NULL,
	valor		REAL NOT NULL,
	status		TEXT NOT NULL DEFAULT 'agendada',
	cliente_id	INTEGER REFERENCES clientes,
	artista_id	INTEGER REFERENCES artistas,
	observacoes	TEXT,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE pagamentos (
	id		INTEGER PRIMARY KEY,
	data		TEXT NOT NULL,
	valor		REAL NOT NULL,
	forma_pagamento	TEXT,
	observacoes	TEXT,
	cliente_id	INTEGER REFERENCES clientes,
	artista_id	INTEGER REFERENCES artistas,
	sessao_id	INTEGER REFERENCES sessoes,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE comissoes (
	id		INTEGER PRIMARY KEY,
	pagamento_id	INTEGER NOT NULL REFERENCES pagamentos,
	artista_id	INTEGER NOT NULL REFERENCES artistas,
	percentual	REAL NOT NULL,
	valor		REAL NOT NULL,
	observacoes	TEXT,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE gastos (
	id		INTEGER PRIMARY KEY,
	data		TEXT NOT NULL,
	valor		REAL NOT NULL,
	descricao	TEXT NOT NULL,
	forma_pagamento	TEXT,
	created_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX sessoes_data ON sessoes (data);
CREATE INDEX pagamentos_data ON pagamentos (data);
CREATE INDEX gastos_data ON gastos (data);
