//! Workout stats, streaks and achievements in the caller's local days.
//!
//! Everything here is pure: the caller loads completions and the user's IANA
//! time zone and passes them in. Days are always the user's local calendar
//! days, because "did I work out today" means today where the user lives, not
//! in UTC; DST days of 23 or 25 hours are handled by converting each instant
//! to a local date rather than by doing arithmetic on durations.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

/// One completed workout. The same workout done twice is two completions.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub at: DateTime<Utc>,
    pub duration_minutes: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WeekStats {
    /// Monday of the ISO week, in the user's local calendar.
    pub week_start: NaiveDate,
    pub completed: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WorkoutStats {
    pub completed_total: i64,
    /// Sum of `duration_minutes` over all completions.
    pub minutes_total: i64,
    pub streak_days: i64,
    pub longest_streak_days: i64,
    /// One entry per ISO week with at least one completion, oldest first.
    pub per_week: Vec<WeekStats>,
}

/// The local calendar day of an instant in `tz`.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The Monday starting the ISO week that contains `day`.
fn week_start(day: NaiveDate) -> NaiveDate {
    let back = Days::new(u64::from(day.weekday().num_days_from_monday()));
    // Only fails in the first days of chrono's representable range, which no
    // real completion reaches; keeping the day itself beats panicking.
    day.checked_sub_days(back).unwrap_or(day)
}

/// Stats as of `now`. `completions` may be in any order.
///
/// `now` only decides which local day is "today" for `streak_days`; every
/// completion counts towards the totals, so a clock slightly ahead of `now`
/// does not make a fresh completion vanish.
///
/// `per_week` lists only ISO weeks (Monday to Sunday, local days) that have
/// at least one completion, oldest first. Empty weeks are left out rather
/// than zero-filled: the range would otherwise depend on an arbitrary start
/// date, and the client can fill gaps for whatever window it draws.
pub fn compute(completions: &[Completion], tz: Tz, now: DateTime<Utc>) -> WorkoutStats {
    let mut days = BTreeSet::new();
    let mut weeks: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    let mut minutes_total = 0i64;
    for c in completions {
        let day = local_day(c.at, tz);
        days.insert(day);
        let minutes = i64::from(c.duration_minutes);
        minutes_total += minutes;
        let week = weeks.entry(week_start(day)).or_default();
        week.0 += 1;
        week.1 += minutes;
    }
    WorkoutStats {
        // A slice can never hold more than i64::MAX elements.
        completed_total: i64::try_from(completions.len()).unwrap_or(i64::MAX),
        minutes_total,
        streak_days: current_streak(&days, local_day(now, tz)),
        longest_streak_days: longest_streak(&days),
        per_week: weeks
            .into_iter()
            .map(|(week_start, (completed, minutes))| WeekStats {
                week_start,
                completed,
                minutes,
            })
            .collect(),
    }
}

/// The current streak (see `current_streak`) of these completions.
pub fn streak_of(completions: &[Completion], tz: Tz, now: DateTime<Utc>) -> i64 {
    let days: BTreeSet<NaiveDate> = completions.iter().map(|c| local_day(c.at, tz)).collect();
    current_streak(&days, local_day(now, tz))
}

/// Current streak: the number of consecutive local days with at least one
/// completion ending today, or ending yesterday if there is none today yet (a
/// streak is not broken until a whole day passes without a workout). 0
/// otherwise.
pub fn current_streak(days: &BTreeSet<NaiveDate>, today: NaiveDate) -> i64 {
    // Start from yesterday when today has nothing yet; the loop below then
    // stops at once if yesterday is empty too.
    let mut day = if days.contains(&today) {
        Some(today)
    } else {
        today.pred_opt()
    };
    let mut count = 0;
    while let Some(d) = day.filter(|d| days.contains(d)) {
        count += 1;
        day = d.pred_opt();
    }
    count
}

/// The longest run of consecutive local days in `days`, 0 if empty.
pub fn longest_streak(days: &BTreeSet<NaiveDate>) -> i64 {
    let mut longest = 0;
    let mut run = 0;
    let mut prev: Option<NaiveDate> = None;
    // BTreeSet iterates in ascending order, so a run continues exactly when
    // this day is the day after the previous one.
    for &day in days {
        run = if prev.and_then(|p| p.succ_opt()) == Some(day) {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
        prev = Some(day);
    }
    longest
}

/// Achievements, each earned once: first workout; 5, 10, 25, 50, 100
/// completions; 3-, 7- and 30-day streaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Achievement {
    FirstWorkout,
    Completions5,
    Completions10,
    Completions25,
    Completions50,
    Completions100,
    Streak3,
    Streak7,
    Streak30,
}

/// What an achievement is measured against.
enum Threshold {
    Completions(i64),
    StreakDays(i64),
}

impl Achievement {
    pub const ALL: [Achievement; 9] = [
        Self::FirstWorkout,
        Self::Completions5,
        Self::Completions10,
        Self::Completions25,
        Self::Completions50,
        Self::Completions100,
        Self::Streak3,
        Self::Streak7,
        Self::Streak30,
    ];

    /// The database code (never change an existing one) and what earns it.
    fn spec(self) -> (&'static str, Threshold) {
        use Threshold::{Completions as C, StreakDays as S};
        match self {
            Self::FirstWorkout => ("first_workout", C(1)),
            Self::Completions5 => ("completions_5", C(5)),
            Self::Completions10 => ("completions_10", C(10)),
            Self::Completions25 => ("completions_25", C(25)),
            Self::Completions50 => ("completions_50", C(50)),
            Self::Completions100 => ("completions_100", C(100)),
            Self::Streak3 => ("streak_3", S(3)),
            Self::Streak7 => ("streak_7", S(7)),
            Self::Streak30 => ("streak_30", S(30)),
        }
    }

    /// Notification title and message.
    fn text(self) -> (&'static str, &'static str) {
        match self {
            Self::FirstWorkout => (
                "First workout",
                "You completed your first workout. Welcome to FitCore!",
            ),
            Self::Completions5 => ("5 workouts", "You completed 5 workouts."),
            Self::Completions10 => ("10 workouts", "You completed 10 workouts."),
            Self::Completions25 => ("25 workouts", "You completed 25 workouts."),
            Self::Completions50 => ("50 workouts", "You completed 50 workouts."),
            Self::Completions100 => ("100 workouts", "You completed 100 workouts."),
            Self::Streak3 => ("3-day streak", "You worked out 3 days in a row."),
            Self::Streak7 => ("7-day streak", "You worked out 7 days in a row."),
            Self::Streak30 => ("30-day streak", "You worked out 30 days in a row."),
        }
    }

    /// Stable code stored in the database: "first_workout", "completions_5",
    /// ..., "streak_3", "streak_7", "streak_30".
    pub fn code(self) -> &'static str {
        self.spec().0
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn title(self) -> &'static str {
        self.text().0
    }

    pub fn message(self) -> &'static str {
        self.text().1
    }
}

/// Achievements the stats qualify for, in `ALL` order. The caller subtracts
/// those already earned.
///
/// Streaks use `longest_streak_days`, not the current streak, so a streak
/// reached while the award could not be stored is still granted later.
pub fn qualifying(stats: &WorkoutStats) -> Vec<Achievement> {
    Achievement::ALL
        .into_iter()
        .filter(|a| match a.spec().1 {
            Threshold::Completions(n) => stats.completed_total >= n,
            Threshold::StreakDays(n) => stats.longest_streak_days >= n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Achievement::{Completions5, FirstWorkout, Streak3};
    use chrono::{NaiveDateTime, TimeZone, Weekday};
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Berlin;
    use chrono_tz::Pacific::{Auckland, Kiritimati, Pago_Pago};

    const UTC: Tz = Tz::UTC;

    /// An instant from a local wall-clock time ("YYYY-MM-DD HH:MM[:SS]").
    /// Tests only use times that exist exactly once in `tz`.
    fn at(tz: Tz, local: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M"))
            .expect("valid local time");
        let local = tz.from_local_datetime(&naive).single();
        local.expect("unambiguous local time").with_timezone(&Utc)
    }

    fn done(tz: Tz, local: &str, minutes: i32) -> Completion {
        let at = at(tz, local);
        Completion {
            at,
            duration_minutes: minutes,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid date")
    }

    fn days(list: &[&str]) -> BTreeSet<NaiveDate> {
        list.iter().map(|s| date(s)).collect()
    }

    /// Stats for 30-minute completions at `locals`, as of local `now`.
    fn stats_at(tz: Tz, locals: &[&str], now: &str) -> WorkoutStats {
        let cs: Vec<_> = locals.iter().map(|l| done(tz, l, 30)).collect();
        compute(&cs, tz, at(tz, now))
    }

    /// (streak_days, longest_streak_days) for `stats_at`.
    fn streaks(tz: Tz, locals: &[&str], now: &str) -> (i64, i64) {
        let s = stats_at(tz, locals, now);
        (s.streak_days, s.longest_streak_days)
    }

    fn with_totals(completed_total: i64, longest_streak_days: i64) -> WorkoutStats {
        WorkoutStats {
            completed_total,
            minutes_total: 0,
            streak_days: 0,
            longest_streak_days,
            per_week: vec![],
        }
    }

    #[test]
    fn empty_input_gives_zeros() {
        assert_eq!(stats_at(UTC, &[], "2026-03-08 12:00"), with_totals(0, 0));
    }

    #[test]
    fn totals_count_every_completion_including_repeats() {
        let locals = ["2026-03-08 08:00", "2026-03-08 08:00"];
        let s = stats_at(UTC, &locals, "2026-03-08 09:00");
        assert_eq!(s.completed_total, 2);
    }

    #[test]
    fn minutes_total_sums_durations() {
        let cs = [
            done(UTC, "2026-03-01 08:00", 20),
            done(UTC, "2026-03-05 08:00", 45),
        ];
        let s = compute(&cs, UTC, at(UTC, "2026-03-08 12:00"));
        assert_eq!(s.minutes_total, 65);
    }

    #[test]
    fn per_week_buckets_start_on_monday_and_are_ordered_oldest_first() {
        // Unordered input. 2026-01-01 is a Thursday in the ISO week starting
        // Monday 2025-12-29; 03-02 and 03-08 are the Monday and Sunday of one
        // week, 03-09 the next Monday.
        let cs = [
            done(UTC, "2026-03-08 10:00", 30),
            done(UTC, "2026-01-01 10:00", 10),
            done(UTC, "2026-03-09 10:00", 20),
            done(UTC, "2026-03-02 10:00", 15),
        ];
        let s = compute(&cs, UTC, at(UTC, "2026-03-09 12:00"));
        let week = |d, completed, minutes| WeekStats {
            week_start: date(d),
            completed,
            minutes,
        };
        let expected = [
            week("2025-12-29", 1, 10),
            week("2026-03-02", 2, 45),
            week("2026-03-09", 1, 20),
        ];
        assert_eq!(s.per_week, expected);
        let mondays = s
            .per_week
            .iter()
            .all(|w| w.week_start.weekday() == Weekday::Mon);
        assert!(mondays);
    }

    #[test]
    fn per_week_uses_the_local_day_not_the_utc_day() {
        // Monday 00:30 in Auckland is still Sunday in UTC.
        let s = stats_at(Auckland, &["2026-03-09 00:30"], "2026-03-09 12:00");
        assert_eq!(s.per_week[0].week_start, date("2026-03-09"));
    }

    #[test]
    fn auckland_late_evening_and_early_morning_are_two_days_on_one_utc_date() {
        // Auckland is on NZDT (UTC+13) until April: both are 2026-03-08 in UTC.
        let locals = ["2026-03-08 23:30", "2026-03-09 00:30"];
        assert_eq!(
            at(Auckland, locals[0]).date_naive(),
            at(Auckland, locals[1]).date_naive()
        );
        assert_eq!(streaks(Auckland, &locals, "2026-03-09 08:00"), (2, 2));
    }

    #[test]
    fn the_same_auckland_instants_viewed_in_utc_are_one_day() {
        let locals = ["2026-03-08 23:30", "2026-03-09 00:30"];
        let cs: Vec<_> = locals.iter().map(|l| done(Auckland, l, 30)).collect();
        let s = compute(&cs, UTC, at(Auckland, "2026-03-09 08:00"));
        assert_eq!((s.streak_days, s.longest_streak_days), (1, 1));
    }

    #[test]
    fn streak_spans_the_new_york_spring_forward_day() {
        // 2026-03-08 is the second Sunday of March: a 23-hour day. 00:30 on
        // the 9th is 04:30 UTC, which a fixed UTC-5 offset would call the 8th.
        let locals = ["2026-03-07 12:00", "2026-03-08 12:00", "2026-03-09 00:30"];
        assert_eq!(streaks(New_York, &locals, "2026-03-09 20:00"), (3, 3));
    }

    #[test]
    fn streak_spans_the_new_york_fall_back_day() {
        // 2026-11-01 is the first Sunday of November: a 25-hour day. 23:30
        // that night is 04:30 UTC on the 2nd, which UTC-4 would call the 2nd.
        let locals = ["2026-10-31 12:00", "2026-11-01 23:30", "2026-11-02 12:00"];
        assert_eq!(streaks(New_York, &locals, "2026-11-02 20:00"), (3, 3));
    }

    #[test]
    fn both_runs_of_the_repeated_fall_back_hour_are_the_same_local_day() {
        // 05:30Z is 01:30 EDT and 06:30Z is 01:30 EST on 2026-11-01.
        for utc in ["2026-11-01 05:30", "2026-11-01 06:30"] {
            assert_eq!(local_day(at(UTC, utc), New_York), date("2026-11-01"));
        }
    }

    #[test]
    fn one_second_across_local_midnight_is_two_days() {
        let locals = ["2026-03-08 23:59:59", "2026-03-09 00:00:00"];
        assert_eq!(streaks(Berlin, &locals, "2026-03-09 12:00"), (2, 2));
    }

    #[test]
    fn kiritimati_and_pago_pago_split_days_at_their_own_midnight() {
        let locals = ["2026-03-08 23:30", "2026-03-09 00:30"];
        for tz in [Kiritimati, Pago_Pago] {
            assert_eq!(streaks(tz, &locals, "2026-03-09 12:00"), (2, 2), "{tz}");
        }
        // The same instant is two calendar days apart at UTC+14 and UTC-11.
        let instant = at(UTC, "2026-03-08 10:30");
        assert_eq!(local_day(instant, Kiritimati), date("2026-03-09"));
        assert_eq!(local_day(instant, Pago_Pago), date("2026-03-07"));
    }

    #[test]
    fn streak_counts_from_yesterday_when_nothing_today_yet() {
        let d = days(&["2026-03-06", "2026-03-07"]);
        assert_eq!(current_streak(&d, date("2026-03-08")), 2);
    }

    #[test]
    fn a_gap_day_breaks_the_current_streak_but_longest_is_kept() {
        let d = days(&["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05"]);
        assert_eq!(current_streak(&d, date("2026-03-07")), 0);
        assert_eq!(current_streak(&d, date("2026-03-05")), 1);
        assert_eq!(longest_streak(&d), 3);
    }

    #[test]
    fn several_completions_in_one_day_count_as_one_streak_day() {
        let locals = ["2026-03-07 08:00", "2026-03-08 07:00", "2026-03-08 12:00"];
        assert_eq!(streaks(UTC, &locals, "2026-03-08 20:00"), (2, 2));
    }

    #[test]
    fn four_completions_qualify_only_for_first_workout() {
        assert_eq!(qualifying(&with_totals(4, 1)), [FirstWorkout]);
    }

    #[test]
    fn five_completions_add_completions_5() {
        assert_eq!(qualifying(&with_totals(5, 1)), [FirstWorkout, Completions5]);
    }

    #[test]
    fn a_longest_streak_of_3_adds_streak_3() {
        assert_eq!(qualifying(&with_totals(3, 3)), [FirstWorkout, Streak3]);
    }

    #[test]
    fn no_completions_qualify_for_nothing() {
        assert!(qualifying(&with_totals(0, 0)).is_empty());
    }

    #[test]
    fn every_code_round_trips_and_is_unique() {
        for a in Achievement::ALL {
            assert_eq!(Achievement::from_code(a.code()), Some(a));
        }
        let codes: BTreeSet<_> = Achievement::ALL.iter().map(|a| a.code()).collect();
        assert_eq!(codes.len(), Achievement::ALL.len());
        assert_eq!(Achievement::from_code("streak_4"), None);
    }
}
