-- Years whose complete official holiday schedule (the State Council's notice) an admin loaded:
-- the days themselves are rows of calendar_overrides; this row says the year is official.
CREATE TABLE calendar_years (
    year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    source text NOT NULL CHECK (source <> ''),
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- One counter every process compares with the one its calendar was loaded at. Triggers bump it
-- in the same transaction as any change of the calendar tables, made by the app or by hand.
CREATE TABLE calendar_version (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL
);
INSERT INTO calendar_version (version) VALUES (1);

CREATE FUNCTION bump_calendar_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calendar_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER calendar_overrides_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION bump_calendar_version();

CREATE TRIGGER calendar_years_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_years
    FOR EACH STATEMENT EXECUTE FUNCTION bump_calendar_version();
