//! Multi-row `INSERT`s: a submission's sheets, findings and review tasks reach the database in
//! a few statements instead of one each. Under the writer lock every statement is a round trip
//! — to the SQLite connection's worker thread, or to the PostgreSQL server — and those round
//! trips, one after another, were what capped submissions (README, "Performance"), not the disk.

use std::fmt::Write;

use sqlx::AnyConnection;

use crate::store::StoreError;

/// A statement being built with its parameters bound.
pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Parameters one statement may bind: SQLite's lowest compiled-in limit, so that a SQLite built
/// with any setting takes every statement (PostgreSQL allows 65,535).
const MAX_PARAMETERS: usize = 999;

/// Inserts `rows` into `table` (`"findings (sheet_id, seq, …)"`, naming `columns` columns) with as
/// few statements as the parameter limit allows; `bind` binds one row's values in column order,
/// and `conflict` (`"ON CONFLICT DO NOTHING"`, or empty) ends each statement.
pub(super) async fn insert_rows<T>(
    conn: &mut AnyConnection,
    table: &str,
    columns: usize,
    conflict: &str,
    rows: &[T],
    bind: impl for<'q> Fn(Query<'q>, &'q T) -> Query<'q>,
) -> Result<(), StoreError> {
    let per_statement = (MAX_PARAMETERS / columns.max(1)).max(1);
    for chunk in rows.chunks(per_statement) {
        let sql = statement(table, columns, chunk.len(), conflict);
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `INSERT INTO {table} VALUES ($1, $2), ($3, $4) {conflict}` for `rows` rows of `columns`.
fn statement(table: &str, columns: usize, rows: usize, conflict: &str) -> String {
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            parameter += 1;
            let separator = if column == 0 { "" } else { ", " };
            // Writing to a String cannot fail.
            let _ = write!(sql, "{separator}${parameter}");
        }
        sql.push(')');
    }
    if !conflict.is_empty() {
        sql.push(' ');
        sql.push_str(conflict);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_the_parameters_of_every_row_in_turn() {
        assert_eq!(
            statement("t (a, b)", 2, 3, "ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            statement("t (a)", 1, 1, ""),
            "INSERT INTO t (a) VALUES ($1)"
        );
    }
}
