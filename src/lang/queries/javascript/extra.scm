; JavaScript tags (not TypeScript's: its grammar names class fields differently), placed before the
; crate's query.

(field_definition property: [(property_identifier) (private_property_identifier)] @name) @definition.field
