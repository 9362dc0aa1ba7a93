//! A small builder for ONNX graphs: fresh value names, constants, nodes and attributes.

use crate::proto::{
    attribute_type, data_type, tensor_shape_proto, type_proto, AttributeProto, GraphProto,
    NodeProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// Domain of the classical machine-learning operators.
pub(crate) const ML_DOMAIN: &str = "ai.onnx.ml";
/// Prefix of every value name the exporter invents (graph inputs may not start with it).
pub(crate) const INTERNAL_PREFIX: &str = "_erosion_";
/// Symbolic name of the batch dimension.
pub(crate) const BATCH_DIM: &str = "N";

/// A graph under construction. Nodes are appended in topological order.
#[derive(Default)]
pub(crate) struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    counter: usize,
}

impl Graph {
    /// A new value name, unique in this graph.
    pub fn fresh(&mut self, hint: &str) -> String {
        self.counter += 1;
        format!("{INTERNAL_PREFIX}{}_{hint}", self.counter)
    }

    /// Declares a graph input: a 1-D tensor of `elem_type` with the symbolic batch dimension.
    pub fn input(&mut self, name: &str, elem_type: i32, doc: String) {
        self.inputs.push(value_info(name, elem_type, doc));
    }

    /// Declares a graph output: a 1-D tensor of `elem_type` with the symbolic batch dimension.
    pub fn output(&mut self, name: &str, elem_type: i32, doc: String) {
        self.outputs.push(value_info(name, elem_type, doc));
    }

    /// A constant double tensor of shape `dims`.
    pub fn const_f64(&mut self, hint: &str, dims: &[i64], values: Vec<f64>) -> String {
        let name = self.fresh(hint);
        self.initializers.push(TensorProto {
            dims: dims.to_vec(),
            data_type: data_type::DOUBLE,
            double_data: values,
            name: name.clone(),
            ..TensorProto::default()
        });
        name
    }

    /// A constant int64 tensor of shape `dims`.
    pub fn const_i64(&mut self, hint: &str, dims: &[i64], values: Vec<i64>) -> String {
        let name = self.fresh(hint);
        self.initializers.push(TensorProto {
            dims: dims.to_vec(),
            data_type: data_type::INT64,
            int64_data: values,
            name: name.clone(),
            ..TensorProto::default()
        });
        name
    }

    /// A scalar double constant.
    pub fn scalar_f64(&mut self, hint: &str, v: f64) -> String {
        self.const_f64(hint, &[], vec![v])
    }

    /// Appends a node of the default domain with one output, named `output` or a fresh name.
    pub fn op(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attribute: Vec<AttributeProto>,
        output: Option<&str>,
    ) -> String {
        self.node("", op_type, inputs, attribute, output)
    }

    /// Appends an `ai.onnx.ml` node with one output.
    pub fn ml_op(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        attribute: Vec<AttributeProto>,
    ) -> String {
        self.node(ML_DOMAIN, op_type, inputs, attribute, None)
    }

    fn node(
        &mut self,
        domain: &str,
        op_type: &str,
        inputs: &[&str],
        attribute: Vec<AttributeProto>,
        output: Option<&str>,
    ) -> String {
        let out = match output {
            Some(o) => o.to_string(),
            None => self.fresh(&op_type.to_ascii_lowercase()),
        };
        let name = self.fresh(&format!("{op_type}_node"));
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name,
            op_type: op_type.to_string(),
            domain: domain.to_string(),
            attribute,
            doc_string: String::new(),
        });
        out
    }

    /// `Unsqueeze(x, axes=[axis])` (opset 13 form).
    pub fn unsqueeze(&mut self, x: &str, axis: i64) -> String {
        let axes = self.const_i64("axes", &[1], vec![axis]);
        self.op("Unsqueeze", &[x, &axes], vec![], None)
    }

    /// `Squeeze(x, axes=[axis])` (opset 13 form).
    pub fn squeeze(&mut self, x: &str, axis: i64) -> String {
        let axes = self.const_i64("axes", &[1], vec![axis]);
        self.op("Squeeze", &[x, &axes], vec![], None)
    }

    /// `Cast(x, to)`.
    pub fn cast(&mut self, x: &str, to: i32) -> String {
        self.op("Cast", &[x], vec![attr_int("to", i64::from(to))], None)
    }

    /// Finishes the graph.
    pub fn finish(self, name: &str, doc_string: String) -> GraphProto {
        GraphProto {
            node: self.nodes,
            name: name.to_string(),
            initializer: self.initializers,
            doc_string,
            input: self.inputs,
            output: self.outputs,
        }
    }
}

fn value_info(name: &str, elem_type: i32, doc: String) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type,
                shape: Some(TensorShapeProto {
                    dim: vec![tensor_shape_proto::Dimension {
                        value: Some(tensor_shape_proto::dimension::Value::DimParam(
                            BATCH_DIM.to_string(),
                        )),
                    }],
                }),
            })),
        }),
        doc_string: doc,
    }
}

/// An integer attribute.
pub(crate) fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: attribute_type::INT,
        i: v,
        ..AttributeProto::default()
    }
}

/// A list-of-integers attribute.
pub(crate) fn attr_ints(name: &str, v: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: attribute_type::INTS,
        ints: v,
        ..AttributeProto::default()
    }
}

/// A string attribute.
pub(crate) fn attr_string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: attribute_type::STRING,
        s: v.as_bytes().to_vec(),
        ..AttributeProto::default()
    }
}

/// A list-of-strings attribute.
pub(crate) fn attr_strings<S: AsRef<str>>(name: &str, v: &[S]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: attribute_type::STRINGS,
        strings: v.iter().map(|s| s.as_ref().as_bytes().to_vec()).collect(),
        ..AttributeProto::default()
    }
}

/// A 1-D double tensor attribute (the `*_as_tensor` attributes of the tree ensembles).
pub(crate) fn attr_tensor_f64(name: &str, v: Vec<f64>) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: attribute_type::TENSOR,
        t: Some(TensorProto {
            dims: vec![v.len() as i64],
            data_type: data_type::DOUBLE,
            double_data: v,
            ..TensorProto::default()
        }),
        ..AttributeProto::default()
    }
}
