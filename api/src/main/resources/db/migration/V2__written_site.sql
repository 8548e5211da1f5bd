-- Which site committed each recording: the server setting twincloud.site that the lab and the
-- Helm chart set (NULL where it is not set, e.g. embedded dev mode). Lets drills prove that no two
-- sites accepted writes in overlapping periods, together with commit timestamps.
alter table ecg_recording add column written_site text default nullif(current_setting('twincloud.site', true), '');
