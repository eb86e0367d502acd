//! The texts of Urna's mails: Swedish first, then English, in every message.

use urna_election::manifest::{ElectionManifest, RevotePolicy};

use super::OutgoingMail;

const RULE: &str = "------------------------------------------------------------------------";

/// The voting period in one language, from the strings the caller formatted.
fn period_sv(opens: Option<&str>, closes: Option<&str>) -> String {
    match (opens, closes) {
        (Some(o), Some(c)) => format!("Röstningen är öppen från {o} till {c}."),
        (Some(o), None) => {
            format!("Röstningen öppnar {o}. Valets administratörer meddelar när den stänger.")
        }
        (None, Some(c)) => format!("Röstningen stänger {c}."),
        (None, None) => "Valets administratörer meddelar när röstningen öppnar och stänger; \
                         du kan rösta när röstningen har öppnat."
            .into(),
    }
}

fn period_en(opens: Option<&str>, closes: Option<&str>) -> String {
    match (opens, closes) {
        (Some(o), Some(c)) => format!("Voting is open from {o} until {c}."),
        (Some(o), None) => {
            format!("Voting opens {o}. The election's administrators will announce when it closes.")
        }
        (None, Some(c)) => format!("Voting closes {c}."),
        (None, None) => "The election's administrators will announce when voting opens and \
                         closes; you can vote once voting has opened."
            .into(),
    }
}

fn greeting_sv(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        "Hej!".into()
    } else {
        format!("Hej {name}!")
    }
}

fn greeting_en(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        "Hello,".into()
    } else {
        format!("Hello {name},")
    }
}

/// A voter's invitation ("voting card"): the personal link `link` (with the credential after
/// `#`), the voting period as formatted by the caller, the revote policy and how to check the
/// ballot on the board. `to_email` is left empty for the caller to fill in.
pub fn invitation(
    manifest: &ElectionManifest,
    link: &str,
    voter_name: &str,
    opens: Option<&str>,
    closes: Option<&str>,
) -> OutgoingMail {
    let title = &manifest.title;
    let event = &manifest.event;
    let (revote_sv, revote_en) = match manifest.revote {
        RevotePolicy::Final => (
            "En avgiven röst är slutgiltig: den kan inte ändras eller tas tillbaka, och \
             länken kan bara användas för att rösta en gång.",
            "A cast ballot is final: it cannot be changed or withdrawn, and the link can \
             only be used to vote once.",
        ),
        RevotePolicy::LastCounts => (
            "Du kan rösta igen med samma länk så länge röstningen är öppen. Då ersätter den \
             nya rösten den tidigare: bara din senaste röst räknas.",
            "You may vote again with the same link while voting is open. The new ballot then \
             replaces the earlier one: only your last ballot counts.",
        ),
    };
    let sv = format!(
        "{greeting}

Du är röstberättigad i valet \"{title}\" ({event}). Detta är ditt röstkort.

Din personliga röstlänk:

{link}

- Länken är personlig. Vidarebefordra inte detta mejl och visa inte länken för någon \
annan: den som har länken kan rösta i ditt ställe.
- Delen av länken efter tecknet # är din hemliga röstnyckel. Den skickas aldrig till \
servern; din webbläsare använder den för att kryptera och signera din röst.
- {period}
- {revote}
- När du har röstat får du en spårningskod. Med den kan du på valets offentliga \
anslagstavla kontrollera att din krypterade röst har kommit fram och finns med i \
rösträkningen.

Om du inte väntade dig detta mejl, kontakta valets administratörer.",
        greeting = greeting_sv(voter_name),
        title = title.sv,
        event = event.sv,
        period = period_sv(opens, closes),
        revote = revote_sv,
    );
    let en = format!(
        "{greeting}

You are entitled to vote in the election \"{title}\" ({event}). This is your voting card.

Your personal voting link:

{link}

- The link is personal. Do not forward this mail and do not show the link to anyone \
else: whoever has the link can vote in your place.
- The part of the link after the # sign is your secret voting key. It is never sent to \
the server; your browser uses it to encrypt and sign your ballot.
- {period}
- {revote}
- After voting you get a tracking code. With it you can check on the election's public \
bulletin board that your encrypted ballot arrived and is included in the count.

If you did not expect this mail, please contact the election's administrators.",
        greeting = greeting_en(voter_name),
        title = title.en,
        event = event.en,
        period = period_en(opens, closes),
        revote = revote_en,
    );
    OutgoingMail {
        to_name: voter_name.trim().to_owned(),
        to_email: String::new(),
        subject: format!("Röstkort: {} / Voting card: {}", title.sv, title.en),
        text: bilingual(&sv, &en),
    }
}

/// The orderer's request to review and approve (or reject) the sealed election at `link`.
/// `to_email` is left empty for the caller to fill in.
pub fn orderer_request(
    manifest: &ElectionManifest,
    link: &str,
    orderer_name: &str,
) -> OutgoingMail {
    let title = &manifest.title;
    let event = &manifest.event;
    let sv = format!(
        "{greeting}

Valet \"{title}\" ({event}) är förberett: röstlängden är inläst och nyckelceremonin är \
klar. Du står som beställare av valet och ska nu granska det. Röstkorten skickas ut \
först när du har godkänt valet.

Öppna din personliga länk:

{link}

Kontrollera frågorna och alternativen, röstningsperioden, antalet röstberättigade och \
valets förtroendepersoner (trustees). Godkänn valet om allt stämmer; annars avvisar du \
det och anger varför. Ditt godkännande och valets fingeravtryck publiceras på valets \
offentliga anslagstavla.

Länken är personlig: vidarebefordra inte detta mejl.",
        greeting = greeting_sv(orderer_name),
        title = title.sv,
        event = event.sv,
    );
    let en = format!(
        "{greeting}

The election \"{title}\" ({event}) is prepared: the electoral roll is imported and the \
key ceremony is complete. You are named as the person who ordered the election and are \
asked to review it now. The voting cards are sent only after you approve the election.

Open your personal link:

{link}

Check the questions and options, the voting period, the number of voters and the \
election's trustees. Approve the election if everything is right; otherwise reject it \
and say why. Your approval and the election's fingerprint are published on the \
election's public bulletin board.

The link is personal: do not forward this mail.",
        greeting = greeting_en(orderer_name),
        title = title.en,
        event = event.en,
    );
    OutgoingMail {
        to_name: orderer_name.trim().to_owned(),
        to_email: String::new(),
        subject: format!(
            "Granska och godkänn valet: {} / Review and approve the election: {}",
            title.sv, title.en
        ),
        text: bilingual(&sv, &en),
    }
}

fn bilingual(sv: &str, en: &str) -> String {
    format!(
        "(English below)\n\n{RULE}\nSVENSKA\n{RULE}\n\n{sv}\n\n\n{RULE}\nENGLISH\n{RULE}\n\n{en}\n\n-- \nUrna\n"
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::manifest;
    use super::*;

    const LINK: &str = "https://val.example.edu/vote/e1#SECRETCREDENTIAL";

    #[test]
    fn invitations_carry_both_languages_the_link_and_the_period() {
        let m = manifest(RevotePolicy::Final);
        let mail = invitation(
            &m,
            LINK,
            " Åsa Öberg ",
            Some("måndag 1 mars 2027 kl. 09:00"),
            Some("måndag 8 mars 2027 kl. 17:00"),
        );
        assert_eq!(mail.to_name, "Åsa Öberg");
        assert!(mail.to_email.is_empty());
        assert_eq!(
            mail.subject,
            "Röstkort: Val av lärarrepresentanter / Voting card: Election of teacher representatives"
        );
        let text = &mail.text;
        let sv = text.find("SVENSKA").unwrap();
        let en = text.find("ENGLISH").unwrap();
        assert!(sv < en, "Swedish first");
        let (sv_part, en_part) = text.split_at(en);
        for part in [sv_part, en_part] {
            assert!(part.contains(LINK), "the link in each language");
            assert!(part.contains("måndag 1 mars 2027 kl. 09:00"));
            assert!(part.contains("måndag 8 mars 2027 kl. 17:00"));
            assert!(part.contains("Åsa Öberg"));
        }
        assert!(sv_part.contains("Val av lärarrepresentanter"));
        assert!(sv_part.contains("Styrelseval 2027"));
        assert!(sv_part.contains("hemliga"));
        assert!(sv_part.contains("Vidarebefordra inte"));
        assert!(sv_part.contains("slutgiltig"));
        assert!(sv_part.contains("spårningskod"));
        assert!(en_part.contains("Election of teacher representatives"));
        assert!(en_part.contains("Board election 2027"));
        assert!(en_part.contains("never sent to"));
        assert!(en_part.contains("Do not forward"));
        assert!(en_part.contains("is final"));
        assert!(en_part.contains("tracking code"));
        assert!(en_part.contains("bulletin board"));
        assert!(!text.contains("last ballot counts"));
        // The link stands on a line of its own, so no punctuation sticks to it.
        assert!(text.lines().any(|l| l == LINK));
    }

    #[test]
    fn revote_and_missing_period() {
        let m = manifest(RevotePolicy::LastCounts);
        let mail = invitation(&m, LINK, "", None, None);
        assert!(mail.text.contains("Hej!"));
        assert!(mail.text.contains("only your last ballot counts"));
        assert!(mail.text.contains("bara din senaste röst räknas"));
        assert!(!mail.text.contains("is final"));
        assert!(mail.text.contains("announce when voting opens"));
        let mail = invitation(&m, LINK, "X", None, Some("8 mars 17:00"));
        assert!(mail.text.contains("Röstningen stänger 8 mars 17:00."));
        assert!(mail.text.contains("Voting closes 8 mars 17:00."));
    }

    #[test]
    fn orderer_requests_are_bilingual() {
        let m = manifest(RevotePolicy::Final);
        let link = "https://val.example.edu/orderer/ABCDEF";
        let mail = orderer_request(&m, link, "Prefekt Persson");
        assert_eq!(mail.to_name, "Prefekt Persson");
        assert!(mail.subject.contains("Val av lärarrepresentanter"));
        assert!(mail.subject.contains("Election of teacher representatives"));
        let en = mail.text.find("ENGLISH").unwrap();
        let (sv_part, en_part) = mail.text.split_at(en);
        assert!(sv_part.contains(link) && en_part.contains(link));
        assert!(sv_part.contains("Godkänn"));
        assert!(en_part.contains("Approve"));
        assert!(en_part.contains("reject"));
    }
}
