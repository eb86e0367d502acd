//! The result document the IT staff hand to the orderer (`GET /api/v1/results.html` and
//! `/results.csv`, spec/api.md §4): for each election of an event (one staff group each) the
//! totals, the turnout, the trustees that decrypted, the election fingerprint and the record's
//! fingerprint (its final chain head), and how anyone can check them.
//!
//! The HTML page is self-contained — inline CSS, no scripts, nothing fetched — because the
//! server's Content-Security-Policy allows nothing else, and it prints on paper as it is.

use std::fmt::Write as _;

use urna_crypto::Digest32;
use urna_election::board::ElectionResult;
use urna_election::manifest::{Contest, ElectionManifest, Text};

/// One published election, as the result document shows it.
#[derive(Clone, Debug)]
pub struct DocumentElection {
    /// The server's identifier of the election.
    pub id: String,
    pub manifest: ElectionManifest,
    pub result: ElectionResult,
    /// Credentials issued (voters on the roll).
    pub voters: u64,
    /// Sum of the voters' weights.
    pub total_weight: u64,
    /// The election fingerprint (from the seal).
    pub fingerprint: Digest32,
    /// The final chain head: the record's fingerprint.
    pub head: Digest32,
    /// Board entries.
    pub entries: u64,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `part / whole` in percent with one decimal (rounded half up), e.g. `62.5 %`; `–` without
/// a whole.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    let (part, whole) = (u128::from(part), u128::from(whole));
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{}.{} %", tenths / 10, tenths % 10)
}

/// A bilingual text, escaped: `sv / en`, or once when both are the same.
fn both(text: &Text) -> String {
    if text.sv == text.en {
        escape_html(&text.sv)
    } else {
        format!(
            "<span lang=\"sv\">{}</span> / <span lang=\"en\">{}</span>",
            escape_html(&text.sv),
            escape_html(&text.en)
        )
    }
}

/// The labels of a contest's selections, in the order of its totals (options, then blank).
/// `None` for a selection the manifest does not describe.
fn selection(contest: Option<&Contest>, index: usize) -> Option<(String, &Text, bool)> {
    let contest = contest?;
    if let Some(option) = contest.options.get(index) {
        return Some((option.id.clone(), &option.label, false));
    }
    match &contest.blank {
        Some(blank) if index == contest.options.len() => Some(("blank".to_owned(), blank, true)),
        _ => None,
    }
}

fn contest_of<'a>(manifest: &'a ElectionManifest, id: &str) -> Option<&'a Contest> {
    manifest.contests.iter().find(|c| c.id == id)
}

fn trustee_list(election: &DocumentElection) -> String {
    if election.result.decrypted_by.is_empty() {
        return "–".to_owned();
    }
    let names = &election.manifest.trustees.names;
    election
        .result
        .decrypted_by
        .iter()
        .map(|&i| {
            let name = usize::try_from(i)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| names.get(i));
            match name {
                Some(name) => format!("{} ({})", i, escape_html(name)),
                None => i.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #111; background: #fff;
  margin: 0; line-height: 1.4; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #333;
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .4rem; }
.event { font-size: 1.15rem; margin: .25rem 0 .5rem; }
.meta { color: #444; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc;
  vertical-align: top; }
thead th { border-bottom: 2px solid #555; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.blank td { font-style: italic; color: #333; }
table.facts th { width: 55%; font-weight: normal; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem; }
code.hash { word-break: break-all; }
pre { background: #f3f3f3; padding: .6rem .8rem; white-space: pre-wrap; word-break: break-all; }
section.election { break-inside: avoid-page; }
@media print {
  @page { margin: 18mm 15mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid-page; }
  section.election + section.election { break-before: page; }
  table, tr { break-inside: avoid; }
  pre { background: none; border: 1px solid #999; }
}
"#;

/// The result document as one printable, self-contained HTML page.
pub fn render_html(elections: &[DocumentElection], generated_at: &str, server_url: &str) -> String {
    let mut events: Vec<&Text> = Vec::new();
    for e in elections {
        if !events.contains(&&e.manifest.event) {
            events.push(&e.manifest.event);
        }
    }
    let page_title = match events.first() {
        Some(event) if events.len() == 1 => {
            format!("Valresultat / Election result – {}", escape_html(&event.en))
        }
        _ => "Valresultat / Election result".to_owned(),
    };

    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{page_title}</title>");
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    h.push_str("<h1>Valresultat / Election result</h1>\n");
    for event in &events {
        let _ = writeln!(
            h,
            "<p class=\"event\"><span lang=\"sv\">{}</span><br><span lang=\"en\">{}</span></p>",
            escape_html(&event.sv),
            escape_html(&event.en)
        );
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">Sammanställt / Generated: {} · Server: {}</p>",
        escape_html(generated_at),
        escape_html(server_url)
    );

    // Turnout per group: one row per election.
    let any_weighted = elections.iter().any(|e| e.manifest.weighted);
    h.push_str("<section class=\"summary\">\n");
    h.push_str("<h2>Valdeltagande per grupp / Turnout per group</h2>\n<table>\n<thead><tr>");
    h.push_str("<th>Grupp / Group</th>");
    h.push_str("<th class=\"num\">Röstberättigade / Voters on the roll</th>");
    h.push_str("<th class=\"num\">Räknade röster / Ballots counted</th>");
    h.push_str("<th class=\"num\">Valdeltagande / Turnout</th>");
    if any_weighted {
        h.push_str("<th class=\"num\">Efter vikt / By weight</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for e in elections {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            both(&e.manifest.title),
            e.voters,
            e.result.ballots_counted,
            percent(e.result.ballots_counted, e.voters)
        );
        if any_weighted {
            let by_weight = if e.manifest.weighted {
                percent(e.result.weight_counted, e.total_weight)
            } else {
                "–".to_owned()
            };
            let _ = write!(h, "<td class=\"num\">{by_weight}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");

    for e in elections {
        render_election(&mut h, e);
    }

    let command = elections
        .iter()
        .map(|e| {
            let id = escape_html(&e.id);
            format!(
                "urna record --server {} --election {id} --out records/{id} &amp;&amp; urna verify records/{id}",
                escape_html(server_url)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    h.push_str("<section class=\"verify\">\n");
    h.push_str("<h2>Så kontrollerar du resultatet / How to verify the result</h2>\n");
    h.push_str(
        "<p lang=\"sv\">Vem som helst kan hämta valets offentliga protokoll och kontrollera \
         varje steg – nyckelceremonin, varje röst, sammanräkningen och dekrypteringen – utan \
         att lita på servern. Protokollets fingeravtryck ska vara detsamma som ovan.</p>\n",
    );
    h.push_str(
        "<p lang=\"en\">Anyone can download the election's public record and check every \
         step – the key ceremony, every ballot, the tally and the decryption – without trusting \
         the server. The record's fingerprint must equal the one above.</p>\n",
    );
    let _ = writeln!(h, "<pre><code>{command}</code></pre>");
    h.push_str("</section>\n</main>\n</body>\n</html>\n");
    h
}

fn render_election(h: &mut String, e: &DocumentElection) {
    let weighted = e.manifest.weighted;
    let _ = writeln!(
        h,
        "<section class=\"election\" id=\"election-{}\">",
        escape_html(&e.id)
    );
    let _ = writeln!(h, "<h2>{}</h2>", both(&e.manifest.title));
    h.push_str("<table class=\"facts\">\n");
    let mut fact = |label: &str, value: String| {
        let _ = writeln!(h, "<tr><th>{label}</th><td class=\"num\">{value}</td></tr>");
    };
    fact(
        "Räknade röster / Ballots counted",
        e.result.ballots_counted.to_string(),
    );
    if weighted {
        fact(
            "Räknad röstvikt / Weight counted",
            e.result.weight_counted.to_string(),
        );
    }
    fact("Röstberättigade / Voters on the roll", e.voters.to_string());
    if weighted {
        fact("Total röstvikt / Total weight", e.total_weight.to_string());
    }
    fact(
        "Valdeltagande / Turnout",
        percent(e.result.ballots_counted, e.voters),
    );
    if weighted {
        fact(
            "Valdeltagande efter vikt / Turnout by weight",
            percent(e.result.weight_counted, e.total_weight),
        );
    }
    h.push_str("</table>\n");

    let votes = if weighted {
        "Viktade röster / Weighted votes"
    } else {
        "Röster / Votes"
    };
    for contest_result in &e.result.contests {
        let contest = contest_of(&e.manifest, &contest_result.contest);
        let title = match contest {
            Some(c) => both(&c.title),
            None => escape_html(&contest_result.contest),
        };
        let _ = writeln!(h, "<h3>{title}</h3>");
        let _ = writeln!(
            h,
            "<table class=\"result\">\n<thead><tr><th>Alternativ / Option</th>\
             <th class=\"num\">{votes}</th></tr></thead>\n<tbody>"
        );
        for (i, total) in contest_result.totals.iter().enumerate() {
            let (label, class) = match selection(contest, i) {
                Some((_, label, true)) => (both(label), " class=\"blank\""),
                Some((_, label, false)) => (both(label), ""),
                None => (format!("#{}", i + 1), ""),
            };
            let _ = writeln!(
                h,
                "<tr{class}><td>{label}</td><td class=\"num\">{total}</td></tr>"
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<table class=\"facts\">\n");
    let _ = writeln!(
        h,
        "<tr><th>Dekrypterat av förtroendepersonerna / Decrypted by the trustees</th><td>{}</td></tr>",
        trustee_list(e)
    );
    let _ = writeln!(
        h,
        "<tr><th>Valets fingeravtryck / Election fingerprint</th><td><code class=\"hash\">{}</code></td></tr>",
        escape_html(&e.fingerprint.to_hex())
    );
    let _ = writeln!(
        h,
        "<tr><th>Protokollets fingeravtryck (kedjans sista hash) / Record fingerprint (final chain head)</th>\
         <td><code class=\"hash\">{}</code><br>{} poster / entries</td></tr>",
        escape_html(&e.head.to_hex()),
        e.entries
    );
    let _ = writeln!(
        h,
        "<tr><th>Val-id / Election id</th><td><code>{}</code></td></tr>",
        escape_html(&e.id)
    );
    h.push_str("</table>\n</section>\n");
}

/// The CSV header of [`render_csv`].
pub const CSV_HEADER: [&str; 7] = [
    "election",
    "kind",
    "contest",
    "option_id",
    "label_sv",
    "label_en",
    "value",
];

/// The result document as one CSV table (`CSV_HEADER`). Per election: a `total` row per
/// option (and `blank`, with option id `blank`, where offered), then `ballots_counted`,
/// `weight_counted`, `voters`, `total_weight`, `fingerprint` and `head` rows (hex for the
/// hashes).
pub fn render_csv(elections: &[DocumentElection]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for e in elections {
        let id = e.id.as_str();
        for contest_result in &e.result.contests {
            let contest = contest_of(&e.manifest, &contest_result.contest);
            for (i, total) in contest_result.totals.iter().enumerate() {
                let (option_id, sv, en) = match selection(contest, i) {
                    Some((option_id, label, _)) => {
                        (option_id, label.sv.as_str(), label.en.as_str())
                    }
                    None => (format!("#{}", i + 1), "", ""),
                };
                w.write_record([
                    id,
                    "total",
                    contest_result.contest.as_str(),
                    option_id.as_str(),
                    sv,
                    en,
                    total.to_string().as_str(),
                ])?;
            }
        }
        let facts = [
            ("ballots_counted", e.result.ballots_counted.to_string()),
            ("weight_counted", e.result.weight_counted.to_string()),
            ("voters", e.voters.to_string()),
            ("total_weight", e.total_weight.to_string()),
            ("fingerprint", e.fingerprint.to_hex()),
            ("head", e.head.to_hex()),
        ];
        for (kind, value) in facts {
            w.write_record([id, kind, "", "", "", "", value.as_str()])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    String::from_utf8(bytes)
        .map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use urna_election::encrypt_ballot;
    use urna_election::simulate::{random_vote, OfflineElection};

    const TEACHERS: &str = include_str!("../../../tests/fixtures/manifests/teachers.json");
    const UNION: &str = include_str!("../../../tests/fixtures/manifests/union-council.json");

    /// Runs a small election to its result and describes it for the document.
    fn run(
        manifest: ElectionManifest,
        weights: &[u64],
        voting: usize,
        seed: u64,
    ) -> DocumentElection {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut election = OfflineElection::setup(manifest.clone()).unwrap();
        election.key_ceremony(None, &mut rng).unwrap();
        let secrets = election.issue_credentials(weights, &mut rng).unwrap();
        let fingerprint = election.seal().unwrap();
        election
            .approve_and_open("prefekt", "2027-03-01T09:00:00+01:00")
            .unwrap();
        let context = election.context().unwrap().clone();
        let ballots = secrets
            .iter()
            .take(voting)
            .map(|secret| {
                let key = secret.derive_key(&context.setup_hash);
                let vote = random_vote(&manifest, &mut rng);
                encrypt_ballot(&context, &key, &vote, &mut rng)
                    .unwrap()
                    .cast()
            })
            .collect();
        for r in election.cast_many(ballots, &mut rng).unwrap() {
            r.unwrap();
        }
        election
            .close_and_tally("2027-03-08T16:00:00+01:00")
            .unwrap();
        election.decrypt(&[1, 3], &mut rng).unwrap();
        let result = election.publish_result().unwrap();
        let entries = election.entries();
        DocumentElection {
            id: manifest.election_id.clone(),
            manifest,
            result,
            voters: weights.len() as u64,
            total_weight: weights.iter().sum(),
            fingerprint,
            head: entries.last().unwrap().hash,
            entries: entries.len() as u64,
        }
    }

    const NASTY: &str = "<script>&\"'";

    fn elections() -> Vec<DocumentElection> {
        let mut teachers: ElectionManifest = serde_json::from_str(TEACHERS).unwrap();
        teachers.contests[1].options[0].label = Text::new(NASTY, NASTY);
        let union: ElectionManifest = serde_json::from_str(UNION).unwrap();
        vec![
            run(teachers, &[1; 8], 5, 7),
            run(union, &[3, 1, 2, 1, 1, 2], 4, 8),
        ]
    }

    #[test]
    fn html_shows_numbers_labels_and_hashes() {
        let elections = elections();
        let html = render_html(
            &elections,
            "2027-03-09T10:00:00Z",
            "https://val.example.edu",
        );
        let (teachers, union) = (&elections[0], &elections[1]);

        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Valresultat / Election result"));
        assert!(html.contains(&escape_html(&teachers.manifest.event.sv)));
        assert!(html.contains("Election to the Board of the Department of Mathematics 2027"));
        assert!(html.contains("Lärare och forskare"));
        assert!(html.contains("Teachers and researchers"));
        assert!(html.contains("@media print"));
        // Self-contained: no scripts, nothing fetched.
        for forbidden in ["<script", "src=", "href=", "<link", "url(", "@import"] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        // The candidate's name is escaped.
        assert!(html.contains("&lt;script&gt;&amp;&quot;&#39;"));

        // Turnout: 5 of 8 = 62.5 %; the union council 4 of 6 by count, by weight (3+1+2+1)/10.
        assert_eq!(teachers.result.ballots_counted, 5);
        assert!(html.contains("62.5 %"));
        assert_eq!(union.result.ballots_counted, 4);
        assert_eq!(union.result.weight_counted, 7);
        assert!(html.contains("66.7 %"));
        assert!(html.contains("70.0 %"));
        assert!(html.contains("Efter vikt / By weight"));

        // Every contest, option and total, and the blank line where offered.
        for e in &elections {
            for (contest, result) in e.manifest.contests.iter().zip(&e.result.contests) {
                assert!(html.contains(&escape_html(&contest.title.en)));
                for (option, total) in contest.options.iter().zip(&result.totals) {
                    let row = format!(
                        "<td>{}</td><td class=\"num\">{total}</td>",
                        both(&option.label)
                    );
                    assert!(html.contains(&row), "{row}");
                }
                if let Some(blank) = &contest.blank {
                    let total = result.totals[contest.options.len()];
                    let row = format!(
                        "<tr class=\"blank\"><td><span lang=\"sv\">{}</span> / <span lang=\"en\">{}</span></td><td class=\"num\">{total}</td></tr>",
                        blank.sv, blank.en
                    );
                    assert!(html.contains(&row), "{row}");
                }
            }
            assert!(html.contains(&e.fingerprint.to_hex()));
            assert!(html.contains(&e.head.to_hex()));
            assert!(html.contains(&format!("{} poster / entries", e.entries)));
            assert_eq!(e.result.decrypted_by, [1, 3]);
        }
        assert!(html.contains("1 (Valnämndens ordförande / Election committee chair), 3 (IT-säkerhetsansvarig / IT security officer)"));
        assert!(html.contains(
            "urna record --server https://val.example.edu --election teachers --out records/teachers"
        ));
        assert!(html.contains("2027-03-09T10:00:00Z"));
        // Weighted totals are labelled as such only for the weighted election.
        assert_eq!(html.matches("Viktade röster / Weighted votes").count(), 1);
    }

    #[test]
    fn html_escapes_everything_it_is_given() {
        let mut elections = elections();
        elections[0].manifest.title = Text::new("<b>", "<i>");
        elections[0].id = "\"><x".into();
        let html = render_html(&elections, "<now>", "https://x/'\"<>&");
        assert!(!html.contains("<b>") && !html.contains("<i>") && !html.contains("<x"));
        assert!(!html.contains("<now>"));
        assert!(html.contains("https://x/&#39;&quot;&lt;&gt;&amp;"));
        assert_eq!(escape_html(NASTY), "&lt;script&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(5, 8), "62.5 %");
        assert_eq!(percent(2, 3), "66.7 %");
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(0, 3), "0.0 %");
        assert_eq!(percent(3, 3), "100.0 %");
        assert_eq!(percent(1, 0), "–");
        assert_eq!(percent(u64::MAX, u64::MAX), "100.0 %");
    }

    #[test]
    fn csv_parses_back_to_the_result() {
        let elections = elections();
        let text = render_csv(&elections).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            &csv::StringRecord::from(CSV_HEADER.to_vec())
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();

        for e in &elections {
            let mine: Vec<&csv::StringRecord> = rows.iter().filter(|r| r[0] == e.id).collect();
            let value = |kind: &str| -> String {
                let found: Vec<_> = mine.iter().filter(|r| &r[1] == kind).collect();
                assert_eq!(found.len(), 1, "{kind}");
                found[0][6].to_owned()
            };
            assert_eq!(
                value("ballots_counted"),
                e.result.ballots_counted.to_string()
            );
            assert_eq!(value("weight_counted"), e.result.weight_counted.to_string());
            assert_eq!(value("voters"), e.voters.to_string());
            assert_eq!(value("total_weight"), e.total_weight.to_string());
            assert_eq!(value("fingerprint"), e.fingerprint.to_hex());
            assert_eq!(value("head"), e.head.to_hex());

            for (contest, result) in e.manifest.contests.iter().zip(&e.result.contests) {
                let totals: Vec<_> = mine
                    .iter()
                    .filter(|r| &r[1] == "total" && r[2] == contest.id)
                    .collect();
                let parsed: Vec<u64> = totals.iter().map(|r| r[6].parse().unwrap()).collect();
                assert_eq!(parsed, result.totals);
                for (row, option) in totals.iter().zip(&contest.options) {
                    assert_eq!(&row[3], option.id);
                    assert_eq!(&row[4], option.label.sv);
                    assert_eq!(&row[5], option.label.en);
                }
                if let Some(blank) = &contest.blank {
                    let row = totals.last().unwrap();
                    assert_eq!(&row[3], "blank");
                    assert_eq!(&row[4], blank.sv);
                } else {
                    assert!(totals.iter().all(|r| &r[3] != "blank"));
                }
            }
        }
        // The awkward name survives the round trip unchanged.
        assert!(rows.iter().any(|r| &r[4] == NASTY && &r[5] == NASTY));
    }
}
