//! Voting periods: local times in an IANA time zone, as the order states them
//! ("2027-03-01 09:00 to 2027-03-08 16:00, Europe/Stockholm").

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use urna_election::manifest::VotingPeriod;

/// Parses a local time in `time_zone` (or an RFC 3339 time with offset) to Unix seconds.
pub fn to_unix(local: &str, time_zone: &str) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(local) {
        return Ok(t.timestamp());
    }
    let tz: Tz = time_zone.parse().map_err(|_| {
        format!("unknown time zone {time_zone:?} (use an IANA name such as Europe/Stockholm)")
    })?;
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(local, f).ok())
    .ok_or_else(|| format!("cannot read the time {local:?} (expected YYYY-MM-DDTHH:MM[:SS])"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| format!("{local} does not exist in {time_zone} (a daylight-saving gap)"))
}

/// (opens, closes) in Unix seconds; closing must come after opening.
pub fn period(period: &VotingPeriod) -> Result<(i64, i64), String> {
    let opens = to_unix(&period.opens, &period.time_zone)?;
    let closes = to_unix(&period.closes, &period.time_zone)?;
    if closes <= opens {
        return Err("the voting period closes before it opens".into());
    }
    Ok((opens, closes))
}

/// Unix seconds as RFC 3339 in UTC.
pub fn rfc3339(unix: i64) -> String {
    Utc.timestamp_opt(unix, 0)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Unix seconds as local time in `time_zone`, for people (mails, documents).
pub fn local(unix: i64, time_zone: &str) -> String {
    match (time_zone.parse::<Tz>(), Utc.timestamp_opt(unix, 0).single()) {
        (Ok(tz), Some(t)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        _ => rfc3339(unix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockholm_winter_and_summer_offsets() {
        // CET (+01:00) in March before the switch, CEST (+02:00) in June.
        assert_eq!(
            to_unix("2027-03-01T09:00:00", "Europe/Stockholm").unwrap(),
            DateTime::parse_from_rfc3339("2027-03-01T08:00:00Z")
                .unwrap()
                .timestamp()
        );
        assert_eq!(
            to_unix("2027-06-01 09:00", "Europe/Stockholm").unwrap(),
            DateTime::parse_from_rfc3339("2027-06-01T07:00:00Z")
                .unwrap()
                .timestamp()
        );
        assert_eq!(
            to_unix("2027-06-01T09:00:00+02:00", "ignored").unwrap(),
            to_unix("2027-06-01 09:00", "Europe/Stockholm").unwrap()
        );
        assert_eq!(
            local(
                to_unix("2027-03-08T16:00", "Europe/Stockholm").unwrap(),
                "Europe/Stockholm"
            ),
            "2027-03-08 16:00 CET"
        );
    }

    #[test]
    fn bad_periods_are_refused() {
        assert!(to_unix("2027-03-01T09:00", "Mars/Olympus").is_err());
        assert!(to_unix("1 March 2027", "Europe/Stockholm").is_err());
        // 02:30 on the last Sunday of March does not exist in Stockholm.
        assert!(to_unix("2027-03-28T02:30", "Europe/Stockholm").is_err());
        let backwards = VotingPeriod {
            opens: "2027-03-08T16:00".into(),
            closes: "2027-03-01T09:00".into(),
            time_zone: "Europe/Stockholm".into(),
        };
        assert!(period(&backwards).is_err());
    }
}
