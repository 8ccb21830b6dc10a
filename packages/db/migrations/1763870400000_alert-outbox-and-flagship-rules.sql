-- Up Migration
-- The worker's alert outbox, and the flagship alert rules of the landslide and flood early-warning use.

-- Alert transitions waiting to be published to `<prefix>.alerts`. The worker writes a row in the same transaction
-- as the readings and the transition, and deletes it once Kafka has acknowledged the message: a crash or a Kafka
-- outage between the commit and the publish delays an alert, it never loses one.
CREATE TABLE alert_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id   text        NOT NULL,
  message     jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The worker loads the open alerts of a batch's devices in one query.
CREATE INDEX alerts_open_by_device ON alerts (device_id) WHERE status = 'open';

-- Flagship rules. Thresholds are defaults for a network with no site calibration yet; each site should tune them
-- (PUT /v1/alert-rules/{id}). Sources are in services/worker/README.md and in the `source` column.
INSERT INTO alert_rules (name, metric, direction, levels, clear_threshold, description, source) VALUES
(
  'rainfall-intensity', 'rain_mm_h', 'above',
  '[{"severity":"info","threshold":7.6},{"severity":"warning","threshold":14.8},{"severity":"critical","threshold":29.8}]',
  2.5,
  'Rainfall intensity that can trigger shallow landslides and debris flows. info: heavy rain; warning: Caine''s intensity-duration threshold sustained for 1 h; critical: the same threshold for a 10-minute burst.',
  'Caine, N. (1980) The rainfall intensity-duration control of shallow landslides and debris flows, Geografiska Annaler A 62:23-27 (I = 14.82 D^-0.39, I in mm/h, D in h: 14.8 mm/h at 1 h, 29.8 mm/h at 10 min); Guzzetti, F. et al. (2008) The rainfall intensity-duration control of shallow landslides and debris flows: an update, Landslides 5:3-17; heavy rain >= 7.6 mm/h and the 2.5 mm/h light/moderate boundary: American Meteorological Society, Glossary of Meteorology, "rain".'
),
(
  'soil-moisture-near-saturation', 'soil_moisture_pct', 'above',
  '[{"severity":"info","threshold":35},{"severity":"warning","threshold":40},{"severity":"critical","threshold":45}]',
  30,
  'Volumetric soil water content approaching saturation (about 40-50 % for most slope soils): pore pressure rises and shear strength falls.',
  'Baum, R.L. and Godt, J.W. (2010) Early warning of rainfall-induced shallow landslides and debris flows in the USA, Landslides 7:259-272; Mirus, B.B. et al. (2018) Integrating real-time subsurface hydrologic monitoring with empirical rainfall thresholds to improve landslide early warning, Landslides 15:1909-1919. Saturation depends on porosity: calibrate per site.'
),
(
  'slope-tilt', 'tilt_deg', 'above',
  '[{"severity":"warning","threshold":0.5},{"severity":"critical","threshold":1.0}]',
  0.2,
  'Tilt of a slope-surface inclinometer from its installation baseline, in degrees: accelerating tilt precedes surface failure.',
  'Uchimura, T. et al. (2015) Precaution and early warning of surface failure of slopes using tilt sensors, Soils and Foundations 55(5):1086-1099 (tilting of tenths of a degree to a few degrees preceded failure in flume and field tests); use the tilting rate for site-specific rules.'
),
(
  'river-stage', 'river_level_m', 'above',
  '[{"severity":"info","threshold":3.0},{"severity":"warning","threshold":4.0},{"severity":"critical","threshold":5.0}]',
  2.5,
  'River stage at a gauge. info/warning/critical stand for action, flood and major flood stage: placeholders that MUST be set per gauge.',
  'U.S. National Weather Service, NWS Manual 10-950 Hydrologic Services Program, "Definitions and general terminology" (action, flood, moderate and major flood stages are defined per forecast point).'
);

-- Down Migration
DELETE FROM alert_rules WHERE name IN ('rainfall-intensity', 'soil-moisture-near-saturation', 'slope-tilt', 'river-stage');
DROP INDEX alerts_open_by_device;
DROP TABLE alert_outbox;
