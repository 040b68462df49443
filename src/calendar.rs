//! Calendar dates from Unix time, in UTC: what an HTTP `Date` header and a
//! report's timestamp are made of.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment split into UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0 for Thursday, the weekday of 1970-01-01.
    pub days_since_thursday: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    /// `t` in UTC (times before 1970 count as 1970-01-01).
    pub fn of(t: SystemTime) -> Utc {
        Utc::from_unix(
            t.duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )
    }

    /// Seconds since the epoch (negative ones before it) in UTC.
    pub fn from_unix(secs: i64) -> Utc {
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400) as u32;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Utc {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: month as u32,
            day: day as u32,
            days_since_thursday: days.rem_euclid(7) as u32,
            hour: rest / 3600,
            minute: rest % 3600 / 60,
            second: rest % 60,
        }
    }

    /// The seconds since the epoch of a UTC date and time (Hinnant's
    /// days_from_civil); `month` 1–12.
    pub fn to_unix(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + hour * 3600 + minute * 60 + second
    }
}

#[cfg(test)]
mod tests {
    use super::Utc;

    #[test]
    fn unix_time_round_trips() {
        for secs in [0, 1_767_225_600, 1_577_836_800, 4_922_899_200, 951_782_400] {
            let t = Utc::from_unix(secs);
            let back = Utc::to_unix(
                t.year,
                t.month.into(),
                t.day.into(),
                t.hour.into(),
                t.minute.into(),
                t.second.into(),
            );
            assert_eq!(back, secs);
        }
        // 2026-01-01, the fixtures' notBefore.
        assert_eq!(Utc::to_unix(2026, 1, 1, 0, 0, 0), 1_767_225_600);
    }
}
