// Reads a sloguard status page through statuspage.js, a Node client of Atlassian Statuspage's
// public API v2, pointed at the page's base URL (its own default is a statuspage.io host), and
// prints what the client saw as one JSON line: the status, each incident with its updates, and
// the scheduled maintenances of each list.
const {Statuspage} = require('statuspage.js');

async function main() {
  const base = process.argv[2];
  const page = new Statuspage('sloguard');
  page.axios.defaults.baseURL = `${base}/api/v2`;
  const summary = await page.summary();
  const incidents = await page.allIncidents();
  const unresolved = await page.unresolvedIncidents();
  const upcoming = await page.upcomingScheduledMaintenances();
  const active = await page.activeScheduledMaintenances();
  const all = await page.allScheduledMaintenances();
  const maintenance = (m) => ({
    id: m.id,
    name: m.name,
    status: m.status,
    // The client turns RFC 3339 strings into Dates: a string here means it could not.
    scheduled_for: m.scheduled_for instanceof Date ? m.scheduled_for.toISOString() : null,
    scheduled_until: m.scheduled_until instanceof Date ? m.scheduled_until.toISOString() : null,
    components: m.components.map((c) => c.name),
  });
  const seen = {
    indicator: summary.status.indicator,
    components: summary.components.map((c) => ({name: c.name, status: c.status})),
    summary_maintenances: summary.scheduled_maintenances.map(maintenance),
    incidents: incidents.incidents.map((i) => ({
      id: i.id,
      name: i.name,
      status: i.status,
      impact: i.impact,
      updates: i.incident_updates.map((u) => ({
        status: u.status,
        body: u.body,
        at: u.created_at instanceof Date ? u.created_at.toISOString() : null,
      })),
    })),
    unresolved: unresolved.incidents.map((i) => i.id),
    upcoming: upcoming.scheduled_maintenances.map(maintenance),
    active: active.scheduled_maintenances.map(maintenance),
    all: all.scheduled_maintenances.map(maintenance),
  };
  process.stdout.write(JSON.stringify(seen) + '\n');
}

main().catch((e) => {
  process.stderr.write(`statuspage.js failed: ${e.stack || e}\n`);
  process.exit(1);
});
