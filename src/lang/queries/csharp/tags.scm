; C# tags for tree-sitter-c-sharp: the crate's queries/tags.scm without its `@module` capture
; (outside the tags vocabulary), with structs, records, enum members, fields, constants, delegates,
; events, qualified and file-scoped namespaces, and plain calls added.
; Where two patterns tag the same name the earlier wins.

; --- Namespaces and types ------------------------------------------------------------------------

(namespace_declaration name: (_) @name) @definition.namespace

(file_scoped_namespace_declaration name: (_) @name) @definition.namespace

(class_declaration name: (identifier) @name) @definition.class

(record_declaration "struct" name: (identifier) @name) @definition.struct

(record_declaration name: (identifier) @name) @definition.class

(struct_declaration name: (identifier) @name) @definition.struct

(interface_declaration name: (identifier) @name) @definition.interface

(enum_declaration name: (identifier) @name) @definition.enum

(enum_member_declaration name: (identifier) @name) @definition.enum_member

(delegate_declaration name: (identifier) @name) @definition.type

; --- Members ----------------------------------------------------------------------------------------

(method_declaration name: (identifier) @name) @definition.method

(constructor_declaration name: (identifier) @name) @definition.constructor

(property_declaration name: (identifier) @name) @definition.property

; Positional record parameters are properties.
(record_declaration (parameter_list (parameter name: (identifier) @name) @definition.property))

(field_declaration
  (modifier) @modifier
  (variable_declaration (variable_declarator name: (identifier) @name) @definition.constant)
  (#eq? @modifier "const"))

(field_declaration (variable_declaration (variable_declarator name: (identifier) @name) @definition.field))

(event_field_declaration (variable_declaration (variable_declarator name: (identifier) @name) @definition.field))

(event_declaration name: (identifier) @name) @definition.field

; --- References ---------------------------------------------------------------------------------

(class_declaration (base_list (_) @name)) @reference.class

(interface_declaration (base_list (_) @name)) @reference.interface

(object_creation_expression type: (identifier) @name) @reference.class

(type_parameter_constraints_clause (identifier) @name) @reference.class

(type_parameter_constraint (type type: (identifier) @name)) @reference.class

(variable_declaration type: (identifier) @name) @reference.class

(invocation_expression function: (identifier) @name) @reference.call

(invocation_expression function: (generic_name (identifier) @name)) @reference.call

(invocation_expression function: (member_access_expression name: (identifier) @name)) @reference.send

(invocation_expression function: (member_access_expression name: (generic_name (identifier) @name))) @reference.send
