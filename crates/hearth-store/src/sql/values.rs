//! The values whose encoding differs between the backends, as newtypes that
//! both can bind and decode: the rest of the shared code never asks which
//! database it talks to.
//!
//! | value   | SQLite                                | PostgreSQL    |
//! | ------- | ------------------------------------- | ------------- |
//! | [`Time`] | `INTEGER` unix milliseconds          | `timestamptz` |
//! | [`Ids`]  | `TEXT`, a JSON array of UUID strings | `uuid[]`      |

use crate::error::StoreError;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::OffsetDateTime;
use uuid::Uuid;

/// A point in time as a column holds it. SQLite keeps milliseconds, so a
/// time read back from SQLite has lost any finer precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Time(pub OffsetDateTime);

/// A list of ids as a column or a bound list holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ids(pub Vec<Uuid>);

impl Ids {
    pub(crate) fn of<T: Copy>(ids: &[T], get: impl Fn(T) -> Uuid) -> Self {
        Self(ids.iter().map(|&id| get(id)).collect())
    }
}

/// Unix milliseconds; finer precision is dropped.
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    // Every `OffsetDateTime` (years ±9999) fits in i64 milliseconds.
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_millis(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms} out of range: {e}")))
}

/// Ids as SQLite's JSON text: hyphenated UUID strings, which never need
/// escaping (a message's `attachments` column has always held this form).
pub(crate) fn ids_json(ids: &[Uuid]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// Reads SQLite's JSON id lists: hyphenated strings, or the 32 hex digits
/// of SQLite's `hex()` (mentions, aggregated by a subquery).
pub(crate) fn parse_ids_json(json: &str) -> Result<Vec<Uuid>, String> {
    let texts: Vec<String> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    texts
        .iter()
        .map(|t| Uuid::try_parse(t).map_err(|e| format!("{t:?}: {e}")))
        .collect()
}

impl Type<Sqlite> for Time {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Time {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(millis(self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Time {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let ms = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Self(from_millis(ms)?))
    }
}

impl Type<Postgres> for Time {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Time {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Time {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<OffsetDateTime as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for Ids {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Ids {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(ids_json(&self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ids {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let json = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Self(parse_ids_json(json)?))
    }
}

impl Type<Postgres> for Ids {
    fn type_info() -> PgTypeInfo {
        <Vec<Uuid> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Vec<Uuid> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ids {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Vec<Uuid> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ids {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Vec<Uuid> as Decode<Postgres>>::decode(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_drops_sub_millisecond_precision() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let back = from_millis(millis(t)).ok();
        assert_eq!(
            back.map(|b| b.unix_timestamp_nanos()),
            Some(1_700_000_000_123_000_000)
        );
    }

    #[test]
    fn negative_millis_are_before_the_epoch() {
        assert_eq!(millis(OffsetDateTime::UNIX_EPOCH), 0);
        assert!(from_millis(-1).is_ok_and(|t| t < OffsetDateTime::UNIX_EPOCH));
    }

    #[test]
    fn id_lists_read_hyphenated_and_hex_forms() {
        let id = Uuid::now_v7();
        let hex = format!("[\"{}\"]", id.simple().to_string().to_uppercase());
        assert_eq!(parse_ids_json(&hex), Ok(vec![id]));
        assert_eq!(parse_ids_json(&ids_json(&[id])), Ok(vec![id]));
        assert_eq!(parse_ids_json("[]"), Ok(vec![]));
        assert_eq!(ids_json(&[]), "[]");
        assert!(parse_ids_json("[\"zz\"]").is_err());
    }
}
