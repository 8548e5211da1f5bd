-- ECG recordings: metadata in one row, samples per lead as little-endian int16 in bytea.
create table ecg_recording (
    id               uuid primary key,
    patient_ref      text        not null,
    recorded_at      timestamptz not null,
    sampling_rate_hz integer     not null check (sampling_rate_hz > 0),
    sample_count     integer     not null check (sample_count >= 0),
    lead_names       text[]      not null,
    device           text,
    notes            text,
    created_at       timestamptz not null default now()
);

-- Keyset pagination: (recorded_at, id), with and without a patient filter.
create index ecg_recording_patient_recorded_at on ecg_recording (patient_ref, recorded_at, id);
create index ecg_recording_recorded_at on ecg_recording (recorded_at, id);

create table ecg_lead (
    recording_id uuid     not null references ecg_recording (id) on delete cascade,
    position     smallint not null,
    name         text     not null,
    samples      bytea    not null,
    primary key (recording_id, name),
    unique (recording_id, position)
);

create table ecg_annotation (
    id           uuid             primary key,
    recording_id uuid             not null references ecg_recording (id) on delete cascade,
    label        text             not null,
    onset_ms     bigint           not null check (onset_ms >= 0),
    offset_ms    bigint           not null,
    confidence   double precision check (confidence between 0 and 1),
    author       text,
    created_at   timestamptz      not null default now(),
    check (onset_ms <= offset_ms)
);

create index ecg_annotation_recording on ecg_annotation (recording_id, onset_ms, id);

-- One row per Idempotency-Key: the hash of the request it was first used with and the response
-- that request got. Inserted in the same transaction as the write it protects, so a key exists
-- exactly when its write committed.
create table idempotency_key (
    key             text        primary key,
    request_hash    bytea       not null,
    response_status integer,
    response_body   text,
    location        text,
    created_at      timestamptz not null default now()
);
