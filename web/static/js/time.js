// Times are sent in UTC (<time datetime>); people read them in their own time zone.

const STYLES = {
  long: { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit" },
  short: { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" },
  date: { day: "numeric", month: "long", year: "numeric" },
};

/** Rewrite every <time data-local> under ``root`` in the reader's time zone and language. */
export function localTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-local]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    el.textContent = new Intl.DateTimeFormat(undefined, STYLES[el.dataset.local] ?? STYLES.long).format(when);
  }
}
