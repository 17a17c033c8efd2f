//! Arrow for Python: `Capture.to_arrow()` and `Capture.record_batches(n)`,
//! one row per stream (when it ends) or datagram, handed to pyarrow, polars
//! or any Arrow consumer through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`, `__arrow_c_array__`, `__arrow_c_schema__`): the
//! consumer takes the buffers as they are, without a copy.
//!
//! Columns (never null but `end`): `kind` (`"tcp"`, `"udp"`), `src`, `sport`,
//! `dst`, `dport` (client first for TCP), `end` (`"close"`, `"reset"`,
//! `"timeout"`, `"exiting"`; null for a datagram), `c2s_bytes` and `s2c_bytes`
//! (a datagram's payload counts as `c2s_bytes`, src to dst, with `s2c_bytes`
//! 0, so both stay integer columns), `ts` and `last_ts` (UTC timestamps in
//! microseconds: a stream's first packet and its end, a datagram's time
//! twice, as `ts`/`last_ts` of `nids --json`), `community_id`.

use std::ffi::CString;
use std::sync::Arc;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    Array, ArrayRef, RecordBatch, RecordBatchIterator, StringArray, StructArray,
    TimestampMicrosecondArray, UInt16Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::capture::Ev;

/// The table's schema.
pub(crate) fn schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("kind", DataType::Utf8, false),
        Field::new("src", DataType::Utf8, false),
        Field::new("sport", DataType::UInt16, false),
        Field::new("dst", DataType::Utf8, false),
        Field::new("dport", DataType::UInt16, false),
        Field::new("end", DataType::Utf8, true),
        Field::new("c2s_bytes", DataType::UInt64, false),
        Field::new("s2c_bytes", DataType::UInt64, false),
        Field::new("ts", ts.clone(), false),
        Field::new("last_ts", ts, false),
        Field::new("community_id", DataType::Utf8, false),
    ]))
}

/// Rows being gathered, column by column.
#[derive(Default)]
pub(crate) struct Rows {
    kind: Vec<&'static str>,
    src: Vec<String>,
    sport: Vec<u16>,
    dst: Vec<String>,
    dport: Vec<u16>,
    end: Vec<Option<&'static str>>,
    c2s: Vec<u64>,
    s2c: Vec<u64>,
    ts: Vec<i64>,
    last_ts: Vec<i64>,
    community_id: Vec<String>,
}

fn micros(t: nids_core::Instant) -> i64 {
    i64::try_from(t.micros()).unwrap_or(i64::MAX)
}

impl Rows {
    /// Rows so far.
    pub(crate) fn len(&self) -> usize {
        self.kind.len()
    }

    /// Adds the row of `ev`, if it makes one (a stream's end, a datagram).
    pub(crate) fn push(&mut self, ev: &Ev, seed: u16) {
        let (kind, proto, tuple, end, c2s, s2c, first, last) = match ev {
            Ev::End {
                tuple,
                reason,
                c2s,
                s2c,
                first,
                ts,
            } => (
                "tcp",
                6,
                tuple,
                Some(reason.name()),
                *c2s,
                *s2c,
                *first,
                *ts,
            ),
            Ev::Udp { tuple, payload, ts } => {
                ("udp", 17, tuple, None, payload.len() as u64, 0, *ts, *ts)
            }
            _ => return,
        };
        let id = nids_host::community_id::community_id(
            seed,
            proto,
            tuple.src,
            tuple.sport,
            tuple.dst,
            tuple.dport,
        )
        .unwrap_or_default();
        self.kind.push(kind);
        self.src.push(tuple.src.to_string());
        self.sport.push(tuple.sport);
        self.dst.push(tuple.dst.to_string());
        self.dport.push(tuple.dport);
        self.end.push(end);
        self.c2s.push(c2s);
        self.s2c.push(s2c);
        self.ts.push(micros(first));
        self.last_ts.push(micros(last));
        self.community_id.push(id);
    }

    /// The rows as one record batch (and none left).
    pub(crate) fn take_batch(&mut self) -> PyResult<RecordBatch> {
        let r = std::mem::take(self);
        let ts = |v: Vec<i64>| -> ArrayRef {
            Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(r.kind)),
            Arc::new(StringArray::from(r.src)),
            Arc::new(UInt16Array::from(r.sport)),
            Arc::new(StringArray::from(r.dst)),
            Arc::new(UInt16Array::from(r.dport)),
            Arc::new(StringArray::from(r.end)),
            Arc::new(UInt64Array::from(r.c2s)),
            Arc::new(UInt64Array::from(r.s2c)),
            ts(r.ts),
            ts(r.last_ts),
            Arc::new(StringArray::from(r.community_id)),
        ];
        RecordBatch::try_new(schema(), columns).map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

fn capsule_name(name: &str) -> CString {
    CString::new(name).unwrap_or_default()
}

/// `schema` as an `arrow_schema` capsule.
fn schema_capsule<'py>(py: Python<'py>, schema: &Schema) -> PyResult<Bound<'py, PyCapsule>> {
    let ffi =
        FFI_ArrowSchema::try_from(schema).map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyCapsule::new(py, ffi, Some(capsule_name("arrow_schema")))
}

/// A whole table of rows, as `Capture.to_arrow()` returns it: give it to
/// `pyarrow.table()`, `polars.from_arrow()` or `polars.DataFrame()`.
#[pyclass(module = "nids", frozen)]
pub struct ArrowTable {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl ArrowTable {
    pub(crate) fn new(batches: Vec<RecordBatch>) -> Self {
        ArrowTable {
            batches,
            schema: schema(),
        }
    }
}

#[pymethods]
impl ArrowTable {
    /// The Arrow PyCapsule interface: an `ArrowArrayStream` of the batches.
    /// A requested schema is not applied (the interface allows that).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new(py, stream, Some(capsule_name("arrow_array_stream")))
    }

    /// The Arrow PyCapsule interface: the schema.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.schema)
    }

    /// Rows.
    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrowTable(rows={}, batches={})",
            self.__len__(),
            self.batches.len()
        )
    }
}

/// One record batch, as `Capture.record_batches()` yields them: give it to
/// `pyarrow.record_batch()` (or gather them with `pyarrow.Table.from_batches`).
#[pyclass(module = "nids", frozen)]
pub struct ArrowBatch {
    batch: RecordBatch,
}

impl ArrowBatch {
    pub(crate) fn new(batch: RecordBatch) -> Self {
        ArrowBatch { batch }
    }
}

#[pymethods]
impl ArrowBatch {
    /// The Arrow PyCapsule interface: the schema and the batch as a struct
    /// array.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let array = FFI_ArrowArray::new(&data);
        Ok((
            schema_capsule(py, self.batch.schema_ref())?,
            PyCapsule::new(py, array, Some(capsule_name("arrow_array")))?,
        ))
    }

    /// The Arrow PyCapsule interface: the schema.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, self.batch.schema_ref())
    }

    /// Rows.
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        format!("ArrowBatch(rows={})", self.batch.num_rows())
    }
}
