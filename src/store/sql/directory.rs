//! Organisations, terminals, users and sessions in SQLite.

use sqlx::Row;

use super::{SqlStore, flag, now};
use crate::store::StoreError;
use crate::store::directory::{
    Directory, DoctorProfile, IssuedAccount, NewUser, Organisation, OrganisationKind, Role,
    Session, SessionScope, Terminal, User, UserListing,
};

const USER_COLUMNS: &str = "id, organisation_id, role, display_name, profile, password_hash, must_change_password, initial_password, totp_secret, failed_logins, locked_until, key_id";

impl SqlStore {
    fn open_optional_text(
        &self,
        user_id: &str,
        column: &str,
        stored: Option<Vec<u8>>,
        key_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        stored
            .map(|bytes| {
                let plain = self
                    .sealer
                    .open(&format!("users.{column}"), user_id, bytes, key_id)?;
                String::from_utf8(plain).map_err(|e| {
                    StoreError::Json(serde::de::Error::custom(format!(
                        "users.{column} of {user_id} is not UTF-8: {e}"
                    )))
                })
            })
            .transpose()
    }

    fn user_from_row(&self, row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: Option<String> = row.try_get("key_id")?;
        let role: String = row.try_get("role")?;
        let profile = match row.try_get::<Option<Vec<u8>>, _>("profile")? {
            Some(bytes) => self
                .sealer
                .open_json("users.profile", &id, bytes, key_id.as_deref())?,
            None => DoctorProfile::default(),
        };
        let totp_secret = self.open_optional_text(
            &id,
            "totp_secret",
            row.try_get("totp_secret")?,
            key_id.as_deref(),
        )?;
        Ok(User {
            organisation_id: row.try_get("organisation_id")?,
            role: Role::parse(&role).unwrap_or(Role::Integrator),
            display_name: row.try_get("display_name")?,
            profile,
            password_hash: row.try_get("password_hash")?,
            must_change_password: flag(row, "must_change_password")?,
            totp_secret,
            failed_logins: u32::try_from(row.try_get::<i64, _>("failed_logins")?).unwrap_or(0),
            locked_until: row.try_get("locked_until")?,
            id,
        })
    }
}

#[async_trait::async_trait]
impl Directory for SqlStore {
    async fn upsert_organisation(&self, organisation: &Organisation) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query(
            "INSERT INTO organisations (id, kind, code, name, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&organisation.id)
        .bind(organisation.kind.as_str())
        .bind(&organisation.code)
        .bind(&organisation.name)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        let row = sqlx::query("SELECT id, kind, code, name FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(Organisation {
                id: r.try_get("id")?,
                kind: OrganisationKind::parse(&kind).unwrap_or(OrganisationKind::Operator),
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }

    async fn upsert_terminal(&self, name: &str, organisation_id: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query(
            "INSERT INTO terminals (name, organisation_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET organisation_id = excluded.organisation_id, disabled_at = NULL",
        )
        .bind(name)
        .bind(organisation_id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn terminal(&self, name: &str) -> Result<Option<Terminal>, StoreError> {
        let row =
            sqlx::query("SELECT name, organisation_id, disabled_at FROM terminals WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(Terminal {
                name: r.try_get("name")?,
                organisation_id: r.try_get("organisation_id")?,
                disabled: r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn terminals(&self, offset: u32, limit: u32) -> Result<Vec<Terminal>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, organisation_id, disabled_at FROM terminals ORDER BY name LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Terminal {
                    name: r.try_get("name")?,
                    organisation_id: r.try_get("organisation_id")?,
                    disabled: r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn create_user(&self, user: &NewUser) -> Result<bool, StoreError> {
        let key_id = self.sealer.primary_key_id();
        let profile = (user.profile != DoctorProfile::default())
            .then(|| {
                self.sealer
                    .seal_json("users.profile", &user.id, &user.profile)
            })
            .transpose()?;
        let initial = user.initial_password.as_ref().map(|p| {
            self.sealer
                .seal("users.initial_password", &user.id, p.as_bytes())
        });
        let totp = user.totp_secret.as_ref().map(|s| {
            self.sealer
                .seal("users.totp_secret", &user.id, s.as_bytes())
        });
        let _writer = self.write_lock().await;
        let inserted = sqlx::query(
            "INSERT INTO users (id, organisation_id, role, display_name, profile, password_hash, must_change_password, initial_password, totp_secret, registration_batch, key_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.organisation_id)
        .bind(user.role.as_str())
        .bind(&user.display_name)
        .bind(profile)
        .bind(&user.password_hash)
        .bind(i64::from(user.initial_password.is_some()))
        .bind(initial)
        .bind(totp)
        .bind(&user.registration_batch)
        .bind(key_id)
        .bind(now())
        .bind(&user.created_by)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| self.user_from_row(&r)).transpose()
    }

    async fn users(
        &self,
        organisation_id: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<UserListing>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, organisation_id, role, display_name, must_change_password, failed_logins, locked_until FROM users WHERE $1 IS NULL OR organisation_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
        )
        .bind(organisation_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(UserListing {
                    id: r.try_get("id")?,
                    organisation_id: r.try_get("organisation_id")?,
                    role: Role::parse(&role).unwrap_or(Role::Integrator),
                    display_name: r.try_get("display_name")?,
                    must_change_password: flag(r, "must_change_password")?,
                    failed_logins: u32::try_from(r.try_get::<i64, _>("failed_logins")?)
                        .unwrap_or(0),
                    locked_until: r.try_get("locked_until")?,
                })
            })
            .collect()
    }

    async fn reset_password(
        &self,
        id: &str,
        password_hash: &str,
        initial_password: &str,
    ) -> Result<bool, StoreError> {
        let sealed = self
            .sealer
            .seal("users.initial_password", id, initial_password.as_bytes());
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        // A row of version 1 (no key id) keeps its secrets in clear, so the new one too.
        let updated = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1, initial_password = CASE WHEN key_id IS NULL THEN $2 ELSE $3 END, failed_logins = 0, locked_until = NULL WHERE id = $4",
        )
        .bind(password_hash)
        .bind(initial_password.as_bytes())
        .bind(sealed)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["sessions", "console_sessions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn unlock_user(&self, id: &str) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let updated =
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn record_failed_login(
        &self,
        id: &str,
        lock_after: u32,
        lock_until: &str,
    ) -> Result<u32, StoreError> {
        let _writer = self.write_lock().await;
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3 RETURNING failed_logins",
        )
        .bind(i64::from(lock_after))
        .bind(lock_until)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("failed_logins"))
            .transpose()?
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    async fn claim_totp_step(&self, id: &str, step: u64) -> Result<bool, StoreError> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let _writer = self.write_lock().await;
        let claimed = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
        )
        .bind(step)
        .bind(id)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn record_successful_login(&self, id: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0, initial_password = NULL WHERE id = $2",
        )
        .bind(password_hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["sessions", "console_sessions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_sha256: &str,
        user_id: &str,
        scope: SessionScope,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let at = now();
        let mut tx = self.begin_write().await?;
        // Expired sessions are swept as new ones are made.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256)
        .bind(user_id)
        .bind(match scope {
            SessionScope::Full => "full",
            SessionScope::PasswordChange => "password_change",
        })
        .bind(&at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_sha256: &str, now: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, scope, expires_at FROM sessions WHERE token_sha256 = $1 AND expires_at > $2",
        )
        .bind(token_sha256)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: String = row.try_get("user_id")?;
        let Some(user) = self.user(&user_id).await? else {
            return Ok(None);
        };
        let scope: String = row.try_get("scope")?;
        Ok(Some(Session {
            user,
            scope: if scope == "full" {
                SessionScope::Full
            } else {
                SessionScope::PasswordChange
            },
            expires_at: row.try_get("expires_at")?,
        }))
    }

    async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn issued_accounts(&self, batch: &str) -> Result<Vec<IssuedAccount>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE registration_batch = $1 ORDER BY organisation_id, id"
        ))
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let user = self.user_from_row(row)?;
                let key_id: Option<String> = row.try_get("key_id")?;
                let initial_password = self.open_optional_text(
                    &user.id,
                    "initial_password",
                    row.try_get("initial_password")?,
                    key_id.as_deref(),
                )?;
                Ok(IssuedAccount {
                    user_id: user.id,
                    organisation_id: user.organisation_id,
                    display_name: user.display_name,
                    profile: user.profile,
                    initial_password,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUser, Organisation, OrganisationKind, Role};

    /// RFC 6238 §5.2: a step once taken, and every step before it, is refused afterwards.
    #[tokio::test]
    async fn a_totp_step_is_taken_once_and_never_an_earlier_one_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let operator = Organisation::new(OrganisationKind::Operator, "0", "運用者");
        store.upsert_organisation(&operator).await.unwrap();
        let admin = NewUser {
            id: "admin".into(),
            organisation_id: operator.id.clone(),
            role: Role::Administrator,
            display_name: "管理者".into(),
            profile: Default::default(),
            password_hash: "not used".into(),
            initial_password: None,
            totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
            registration_batch: None,
            created_by: "test".into(),
        };
        assert!(store.create_user(&admin).await.unwrap());

        assert!(store.claim_totp_step("admin", 100).await.unwrap());
        assert!(!store.claim_totp_step("admin", 100).await.unwrap());
        assert!(!store.claim_totp_step("admin", 99).await.unwrap());
        assert!(store.claim_totp_step("admin", 101).await.unwrap());
        assert!(!store.claim_totp_step("nobody", 200).await.unwrap());
    }
}
