//! Admin routes (spec/api.md §8): session cookie + CSRF header.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use urna_api::{
    AddElectionAdmin, AdminElection, CreateElection, CreatedElection, ElectionState,
    ElectionSummary, FailedMail, LoginRequest, MailStatus, NewAdmin, RollImported, SessionInfo,
    TrusteeAccess, SESSION_COOKIE,
};
use urna_election::board::Event;

use super::{created, election_row, summary};
use crate::auth::{
    csrf_token_for, hash_password, random_token, session_cookie_value, token_hash, verify_password,
    Admin, ClientIp,
};
use crate::db::{ElectionRow, NewElection, NewMail};
use crate::error::{AppError, AppResult, JsonBody};
use crate::lifecycle;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/session", get(session))
        .route("/admin/accounts", post(add_account))
        .route("/admin/elections", get(list).post(create))
        .route("/admin/elections/{id}", get(one))
        .route("/admin/elections/{id}/admins", post(add_admin))
        .route(
            "/admin/elections/{id}/roll",
            put(import_roll).layer(DefaultBodyLimit::max(64 << 20)),
        )
        .route("/admin/elections/{id}/ceremony", post(ceremony))
        .route("/admin/elections/{id}/open", post(open))
        .route("/admin/elections/{id}/close", post(close))
        .route("/admin/elections/{id}/mail/retry", post(retry_mail))
}

/// A hash to check against when the user does not exist, so that both cases cost one argon2
/// verification and a login cannot tell which user names exist.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&random_token()).unwrap_or_default())
        .clone()
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> AppResult<Response> {
    state.check_login_rate(ip)?;
    let admin = state.db.admin(&req.username).await?;
    let known = admin.as_ref().map(|(_, h)| h.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        let hash = known.unwrap_or_else(dummy_hash);
        verify_password(&password, &hash)
    })
    .await
    .map_err(AppError::internal)?;
    let Some((admin_id, _)) = admin.filter(|_| ok) else {
        tracing::info!(username = %req.username, "failed admin login");
        return Err(AppError::Unauthorized("wrong user name or password".into()));
    };
    let token = random_token();
    let csrf_token = csrf_token_for(&token);
    let hours = i64::from(state.config.session_hours.max(1));
    state
        .db
        .create_session(
            &token_hash(&token),
            admin_id,
            crate::db::now() + hours * 3600,
        )
        .await?;
    let secure = if state.config.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        hours * 3600
    );
    tracing::info!(username = %req.username, "admin logged in");
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(SessionInfo {
            username: req.username,
            csrf_token,
        }),
    )
        .into_response())
}

async fn logout(
    State(state): State<AppState>,
    _admin: Admin,
    headers: HeaderMap,
) -> AppResult<Response> {
    if let Some(token) = session_cookie_value(&headers) {
        state.db.delete_session(&token_hash(&token)).await?;
    }
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

async fn session(admin: Admin) -> Json<SessionInfo> {
    Json(SessionInfo {
        username: admin.username,
        csrf_token: admin.csrf_token,
    })
}

fn check_new_account(req: &NewAdmin) -> AppResult<()> {
    let name_ok = !req.username.is_empty()
        && req.username.len() <= 64
        && req
            .username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !name_ok {
        return Err(AppError::BadRequest(
            "a user name is 1–64 letters, digits, '.', '-', '_' or '@'".into(),
        ));
    }
    if req.password.chars().count() < 12 {
        return Err(AppError::BadRequest(
            "a password needs at least 12 characters".into(),
        ));
    }
    Ok(())
}

async fn add_account(
    State(state): State<AppState>,
    admin: Admin,
    JsonBody(req): JsonBody<NewAdmin>,
) -> AppResult<Response> {
    check_new_account(&req)?;
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)??;
    if !state.db.create_admin(&req.username, &hash).await? {
        return Err(AppError::Conflict(format!(
            "there is already an admin {}",
            req.username
        )));
    }
    tracing::info!(by = %admin.username, new = %req.username, "admin account created");
    Ok(StatusCode::CREATED.into_response())
}

async fn admin_view(state: &AppState, row: &ElectionRow) -> AppResult<AdminElection> {
    let (roll_voters, roll_weight, invited) = state.db.roll_stats(&row.id).await?;
    let (queued, failed) = state.db.mail_status(&row.id).await?;
    let (retrying, last_error, next_attempt) = state.db.mail_retrying(&row.id).await?;
    let next_attempt = next_attempt
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut ceremony_progress = Vec::new();
    for kind in ["dkg-round1", "dkg-round2", "dkg-round3"] {
        let mut from = Vec::new();
        for e in state.db.board_entries_of_kind(&row.id, kind).await? {
            match e.event() {
                Ok(Event::DkgRound1(p)) => from.push(p.from),
                Ok(Event::DkgRound2(p)) => from.push(p.from),
                Ok(Event::DkgRound3(p)) => from.push(p.from),
                _ => {}
            }
        }
        ceremony_progress.push(from);
    }
    let mut decrypted_by = Vec::new();
    for e in state
        .db
        .board_entries_of_kind(&row.id, "decryption")
        .await?
    {
        if let Ok(Event::Decryption(d)) = e.event() {
            decrypted_by.push(d.trustee);
        }
    }
    Ok(AdminElection {
        summary: summary(row)?,
        admins: state.db.election_admins(&row.id).await?,
        roll_voters,
        roll_weight,
        mail: MailStatus {
            queued,
            invited,
            failed: failed
                .into_iter()
                .map(|(recipient, attempts, error)| FailedMail {
                    recipient,
                    attempts,
                    error,
                })
                .collect(),
            retrying,
            last_error,
            next_attempt,
        },
        error: row.error.clone(),
        ceremony_progress,
        decrypted_by,
    })
}

/// The election, if this admin administers it (404 otherwise: no probing of other elections).
async fn administered(state: &AppState, admin: &Admin, id: &str) -> AppResult<ElectionRow> {
    if !state.db.is_election_admin(id, admin.id).await? {
        return Err(AppError::NotFound(format!(
            "no election {id} that you administer"
        )));
    }
    election_row(state, id).await
}

async fn list(State(state): State<AppState>, admin: Admin) -> AppResult<Json<Vec<AdminElection>>> {
    let mut out = Vec::new();
    for row in state.db.admin_elections(admin.id).await? {
        out.push(admin_view(&state, &row).await?);
    }
    Ok(Json(out))
}

async fn one(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> AppResult<Json<AdminElection>> {
    let row = administered(&state, &admin, &id).await?;
    Ok(Json(admin_view(&state, &row).await?))
}

async fn create(
    State(state): State<AppState>,
    admin: Admin,
    JsonBody(req): JsonBody<CreateElection>,
) -> AppResult<Response> {
    req.manifest
        .validate()
        .map_err(|e| AppError::BadRequest(format!("the manifest is not valid: {e}")))?;
    let orderer_email: lettre::Address =
        req.orderer.email.trim().parse().map_err(|_| {
            AppError::BadRequest("the orderer's e-mail address is not valid".into())
        })?;
    let orderer_name = req.orderer.name.trim();
    if orderer_name.is_empty() {
        return Err(AppError::BadRequest("name the orderer".into()));
    }
    let (opens_at, closes_at) = match &req.manifest.voting_period {
        Some(p) => {
            let (o, c) = crate::schedule::period(p).map_err(AppError::BadRequest)?;
            (Some(o), Some(c))
        }
        None => (None, None),
    };
    let id: String = random_token().chars().take(12).collect();
    let orderer_token = random_token();
    let trustees: Vec<TrusteeAccess> = (1..=req.manifest.trustees.count)
        .map(|i| TrusteeAccess {
            index: i,
            name: req
                .manifest
                .trustees
                .names
                .get((i - 1) as usize)
                .cloned()
                .unwrap_or_else(|| format!("Trustee {i}")),
            token: random_token(),
        })
        .collect();
    let manifest = serde_json::to_string(&req.manifest).map_err(AppError::internal)?;
    state
        .db
        .insert_election(&NewElection {
            id: &id,
            manifest: &manifest,
            orderer_name,
            orderer_email: orderer_email.as_ref(),
            orderer_token_hash: &token_hash(&orderer_token),
            opens_at,
            closes_at,
            admin_id: admin.id,
            trustees: trustees
                .iter()
                .map(|t| (t.index, t.name.clone(), token_hash(&t.token)))
                .collect(),
        })
        .await?;
    let orderer_link = format!("{}/orderer/{orderer_token}", state.config.base_url());
    let mut mail = crate::mail::orderer_request(&req.manifest, &orderer_link, orderer_name);
    state
        .db
        .queue_orderer_mail(
            &id,
            &NewMail {
                roll_line: None,
                recipient: orderer_email.to_string(),
                recipient_name: orderer_name.to_owned(),
                subject: std::mem::take(&mut mail.subject),
                body: std::mem::take(&mut mail.text),
            },
        )
        .await?;
    tracing::info!(election = %id, by = %admin.username, "election created");
    Ok(created(CreatedElection {
        id,
        orderer_link,
        orderer_token,
        trustees,
    }))
}

async fn add_admin(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<AddElectionAdmin>,
) -> AppResult<Json<AdminElection>> {
    let row = administered(&state, &admin, &id).await?;
    let (other, _) = state
        .db
        .admin(&req.username)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no admin {}", req.username)))?;
    state.db.add_election_admin(&id, other).await?;
    Ok(Json(admin_view(&state, &row).await?))
}

async fn import_roll(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Json<RollImported>> {
    let row = administered(&state, &admin, &id).await?;
    let not_draft =
        || AppError::WrongState("the roll can only change while the election is a draft".into());
    if row.state != ElectionState::Draft {
        return Err(not_draft());
    }
    let manifest = lifecycle::manifest_of(&row)?;
    let entries =
        crate::roll::parse_roll(&body, manifest.weighted).map_err(AppError::InvalidRoll)?;
    // The tally decodes each selection's total by a bounded discrete log (spec/crypto.md): a
    // roll whose total weight lets a total pass MAX_DLOG_BOUND could never be tallied, so it is
    // refused now rather than after the vote.
    let total_weight = entries
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.weight));
    let bound = urna_election::tally::dlog_bound(&manifest, total_weight);
    if bound > urna_crypto::dlog::MAX_DLOG_BOUND {
        return Err(AppError::BadRequest(format!(
            "the roll's total weight {total_weight} lets a selection's total reach {bound}, \
             above the {} the tally can decode: lower the weights or the contests' maxima",
            urna_crypto::dlog::MAX_DLOG_BOUND
        )));
    }
    if !state.db.replace_roll(&id, &entries).await? {
        return Err(not_draft());
    }
    let mut warnings = Vec::new();
    for (other, other_manifest, shared) in state.db.roll_overlaps(&id).await? {
        let Ok(other_manifest) =
            serde_json::from_str::<urna_election::manifest::ElectionManifest>(&other_manifest)
        else {
            continue;
        };
        if other_manifest.event == manifest.event {
            warnings.push(format!(
                "{shared} of these addresses are also on the roll of the parallel election \
                 {other} ({}): each of them can vote in both",
                other_manifest.title.en
            ));
        }
    }
    Ok(Json(RollImported {
        voters: entries.len() as u64,
        total_weight: entries.iter().map(|e| e.weight).sum(),
        warnings,
    }))
}

async fn ceremony(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> AppResult<Json<ElectionSummary>> {
    administered(&state, &admin, &id).await?;
    let row = lifecycle::start_ceremony(&state, &id).await?;
    tracing::info!(election = %id, by = %admin.username, "key ceremony started");
    Ok(Json(summary(&row)?))
}

async fn open(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> AppResult<Json<ElectionSummary>> {
    administered(&state, &admin, &id).await?;
    let row = lifecycle::open(&state, &id).await?;
    tracing::info!(election = %id, by = %admin.username, "opened by hand");
    Ok(Json(summary(&row)?))
}

async fn close(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> AppResult<Json<ElectionSummary>> {
    administered(&state, &admin, &id).await?;
    let row = lifecycle::close(&state, &id).await?;
    tracing::info!(election = %id, by = %admin.username, "closed by hand");
    Ok(Json(summary(&row)?))
}

async fn retry_mail(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> AppResult<Json<MailStatus>> {
    let row = administered(&state, &admin, &id).await?;
    state.db.retry_failed_mails(&id).await?;
    Ok(Json(admin_view(&state, &row).await?.mail))
}
