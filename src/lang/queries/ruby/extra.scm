; Ruby tags added to the crate's query, and placed before it. The crate misses constants.
; (`attr_reader :name` defines methods, but the grammar's symbol node holds the colon: not tagged.)

(assignment left: (constant) @name) @definition.constant
