; TypeScript and TSX tags, placed before the crates' queries: where both tag one name, ours wins.
; The crate misses type aliases, enums, namespaces, class fields and interface properties.

(type_alias_declaration name: (type_identifier) @name) @definition.type

(enum_declaration name: (identifier) @name) @definition.enum

(enum_body name: (property_identifier) @name @definition.enum_member)

(enum_body (enum_assignment name: (property_identifier) @name) @definition.enum_member)

(internal_module name: [(identifier) (nested_identifier)] @name) @definition.namespace

(public_field_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.field

; Properties of interfaces and of object type aliases, not of inline object types (parameters).
(interface_body (property_signature name: (property_identifier) @name) @definition.property)

(type_alias_declaration value: (object_type (property_signature name: (property_identifier) @name) @definition.property))

; Namespace-level constants and variables, as the shared query has them at module level.
[
  (internal_module body: (statement_block (lexical_declaration "const" (variable_declarator name: (identifier) @name) @definition.constant)))
  (internal_module body: (statement_block (export_statement (lexical_declaration "const" (variable_declarator name: (identifier) @name) @definition.constant))))
]

[
  (internal_module body: (statement_block (lexical_declaration "let" (variable_declarator name: (identifier) @name) @definition.variable)))
  (internal_module body: (statement_block (export_statement (lexical_declaration "let" (variable_declarator name: (identifier) @name) @definition.variable))))
]
