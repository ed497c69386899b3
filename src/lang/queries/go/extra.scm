; Go tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate tags every type as a `type` and misses constants, variables, fields and interface
; methods. Where one spec names several (`a, b = 1, 2`), each name is its own definition.

(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct

(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface

(type_alias name: (type_identifier) @name) @definition.type

(field_declaration name: (field_identifier) @name @definition.field)

(method_elem name: (field_identifier) @name) @definition.method

; Package level only: function bodies hold locals.
(source_file (const_declaration (const_spec name: (identifier) @name @definition.constant)))

(source_file (var_declaration (var_spec name: (identifier) @name @definition.variable)))

(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name @definition.variable))))
