; Java tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate misses enums, records, annotation types, constructors and fields.

(enum_declaration name: (identifier) @name) @definition.enum

(enum_constant name: (identifier) @name) @definition.enum_member

(record_declaration name: (identifier) @name) @definition.class

(annotation_type_declaration name: (identifier) @name) @definition.interface

(constructor_declaration name: (identifier) @name) @definition.constructor

(compact_constructor_declaration name: (identifier) @name) @definition.constructor

; `static final` fields are constants. A declaration may name several fields: the declarator is the
; definition.
(field_declaration
  (modifiers) @modifiers
  declarator: (variable_declarator name: (identifier) @name) @definition.constant
  (#match? @modifiers "static")
  (#match? @modifiers "final"))

(field_declaration declarator: (variable_declarator name: (identifier) @name) @definition.field)

; Interface fields are constants.
(constant_declaration declarator: (variable_declarator name: (identifier) @name) @definition.constant)

(method_invocation name: (identifier) @name) @reference.call
