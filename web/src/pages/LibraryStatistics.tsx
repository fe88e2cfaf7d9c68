import { useCallback, useState } from "react";
import type { CatalogueItem } from "../api/schema";
import { RowPanelButton } from "../components/RowPanelButton";
import { getItemStatistics, type ItemStatistics, type StatisticsDay } from "../api/statistics";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField } from "../components/Field";
import { useAsync } from "../lib/useAsync";
import { wholePercent } from "../lib/format";

/** The periods an admin may look back over, in days; 30 unless chosen. */
const PERIODS = [
  { value: "7", label: "Last 7 days" },
  { value: "30", label: "Last 30 days" },
  { value: "90", label: "Last 90 days" },
] as const;

/** The chart's drawing box (SVG units; it scales to the panel's width). */
const CHART_WIDTH = 300;
const CHART_HEIGHT = 80;

const numbers = new Intl.NumberFormat();

/** How views and time watched are counted (catalogue/watching.py), as `streamstack items stats` says it. */
const VIEW_RULE =
  "A view is a signed-in viewer playing it; playing again within an hour of their last play is the same view. Time watched adds up the time they played it, watching again included (per view at most 100 % of its length). Share link plays are no views.";

/** "1 view", "1,204 views". */
function counted(count: number, noun: string): string {
  return `${numbers.format(count)} ${count === 1 ? noun : `${noun}s`}`;
}

/** A time watched as a person says it: "45 s", "12 min", "3 h 20 min" (as `streamstack items stats`). */
export function formatWatchTime(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60) % 60;
  const hours = Math.floor(whole / 3600);
  if (!hours) return `${minutes} min`;
  return minutes ? `${numbers.format(hours)} h ${minutes} min` : `${numbers.format(hours)} h`;
}

/** "May 4": a day of the chart, read as the UTC day it is. */
function dayLabel(date: string): string {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/**
 * "Statistics" in a library row: opens how the video does (views and time watched in the
 * chosen period, how far viewers got, plays by share links, likes, comments and share link
 * opens) and a bar chart
 * of its views by day. Totals only: who watched is never shown.
 */
export function LibraryStatistics({ item }: { item: CatalogueItem }) {
  return <RowPanelButton label="Statistics" name={`Statistics for ${item.title}`} panel={(id) => <StatisticsPanel id={id} item={item} />} />;
}

function StatisticsPanel({ id, item }: { id: string; item: CatalogueItem }) {
  const [days, setDays] = useState("30");
  const fetchStats = useCallback(
    (signal: AbortSignal) => getItemStatistics(item.id, Number(days), signal),
    [item.id, days],
  );
  const { shown, error, loading, reload } = useAsync(fetchStats);
  return (
    <section id={id} className="share-panel library-share" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Statistics</h3>
      <SelectField label="Period" value={days} choices={PERIODS} onChange={setDays} />
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      {shown && <StatisticsReport stats={shown} />}
    </section>
  );
}

/** The numbers in words, then the chart of views by day. */
function StatisticsReport({ stats }: { stats: ItemStatistics }) {
  const period = `in the last ${stats.period_days} days`;
  const { average_reached: reached, average_watched: watched } = stats;
  // Two different averages, each said as what it is: how much a view watched (from the
  // time watched), and where viewers stopped (History's place: one who skipped to the end is at 100 %).
  return (
    <>
      <p data-testid="stats-views">
        {counted(stats.views_in_period, "view")} · {formatWatchTime(stats.watch_seconds_in_period)} watched {period}
        {watched !== null && ` · ${wholePercent(watched)} % of its length watched per view, on average`}
      </p>
      <p data-testid="stats-viewers">
        {counted(stats.viewers, "viewer")} · {numbers.format(stats.finished)} finished
        {reached !== null && ` · they stopped at ${wholePercent(reached)} % of it, on average`}
      </p>
      <p className="small muted" data-testid="stats-totals">
        {counted(stats.view_count, "view")} in all · {counted(stats.share_plays, "play")} by share links ·{" "}
        {counted(stats.like_count, "like")} · {counted(stats.comment_count, "comment")} ·{" "}
        {counted(stats.share_opens, "share link open")} (page loads, embeds included)
      </p>
      <p className="small muted" data-testid="stats-rule">
        {VIEW_RULE}
      </p>
      <ViewsChart days={stats.days} />
    </>
  );
}

/** Views by day as bars (today on the right), with the same numbers as a table for screen readers. */
function ViewsChart({ days }: { days: StatisticsDay[] }) {
  const peak = Math.max(0, ...days.map((day) => day.views));
  // A scale of 1 at least keeps a chart of no views flat: a height no bar has, not to be told.
  const most = Math.max(1, peak);
  const [first, last] = [days[0], days[days.length - 1]];
  const step = CHART_WIDTH / Math.max(1, days.length);
  return (
    <figure className="stats-chart">
      <svg viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
        {days.map((day, index) => {
          const height = (day.views / most) * CHART_HEIGHT;
          return (
            <rect
              key={day.date}
              data-testid="stats-bar"
              x={index * step + step * 0.1}
              y={CHART_HEIGHT - height}
              width={step * 0.8}
              height={height}
            >
              <title>{`${dayLabel(day.date)}: ${counted(day.views, "view")}`}</title>
            </rect>
          );
        })}
      </svg>
      {/* The bars' ends, read: the table below says every day to a screen reader. */}
      <div className="stats-chart-days small muted" aria-hidden="true" data-testid="stats-days">
        <span>{first && dayLabel(first.date)}</span>
        <span>{last && dayLabel(last.date)}</span>
      </div>
      <figcaption className="small muted" data-testid="stats-caption">
        Views per day (UTC) · {peak === 0 ? "no views on any day" : `the tallest bar is ${counted(peak, "view")}`}
      </figcaption>
      <table className="visually-hidden">
        <caption>Views and time watched per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Views</th>
            <th scope="col">Watched</th>
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.date}>
              <th scope="row">{dayLabel(day.date)}</th>
              <td>{numbers.format(day.views)}</td>
              <td>{formatWatchTime(day.watch_seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
