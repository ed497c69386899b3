; Haskell tags for tree-sitter-haskell.
;
; A function is defined by one or more equations, maybe after a signature: its one tag is the first
; equation, where GHC places the binding. An equation is tagged unless the nearest declaration before
; it (comments skipped) is another equation of the same name. Local bindings (`where`, `let`) and
; instance methods are not tagged; class methods are, at their signature.

(header module: (module) @name) @definition.module

; --- Functions and values: the first equation of each group ---------------------------------------

; The first declaration of the module.
(declarations
  .
  [(comment) (haddock) (pragma)]*
  .
  [
    (function name: (variable) @name)
    (bind name: (variable) @name)
  ] @definition.function)

; After a declaration of another name (a signature of the same name is handled below).
(declarations
  (_ name: (_) @previous)
  .
  [(comment) (haddock) (pragma)]*
  .
  [
    (function name: (variable) @name)
    (bind name: (variable) @name)
  ] @definition.function
  (#not-eq? @previous @name))

; Right after its own signature.
(declarations
  (signature name: (variable) @previous)
  .
  [(comment) (haddock) (pragma)]*
  .
  [
    (function name: (variable) @name)
    (bind name: (variable) @name)
  ] @definition.function
  (#eq? @previous @name))

; After a declaration without a name (fixity, deriving instance, splice...).
(declarations
  (_ !name) @previous
  .
  [(comment) (haddock) (pragma)]*
  .
  [
    (function name: (variable) @name)
    (bind name: (variable) @name)
  ] @definition.function
  (#not-match? @previous "^(--|\\{-)"))

(foreign_import signature: (signature name: (variable) @name)) @definition.function

; --- Types ------------------------------------------------------------------------------------------

(data_type name: (name) @name) @definition.struct

(newtype name: (name) @name) @definition.struct

(type_synonym name: (name) @name) @definition.type

(type_family name: (name) @name) @definition.type

(data_family name: (name) @name) @definition.type

(data_constructor constructor: (prefix name: (constructor) @name)) @definition.constructor

(data_constructor constructor: (record name: (constructor) @name)) @definition.constructor

(newtype_constructor name: (constructor) @name) @definition.constructor

(gadt_constructor name: (constructor) @name) @definition.constructor

(field name: (field_name (variable) @name)) @definition.field

; --- Type classes -------------------------------------------------------------------------------

(class name: (name) @name) @definition.interface

(class_declarations (signature name: (variable) @name) @definition.method)

; --- References -----------------------------------------------------------------------------------

(apply function: (variable) @name) @reference.call

(apply function: (qualified id: (variable) @name)) @reference.call
