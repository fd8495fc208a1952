"""offercoach's engine: knowledge loading, checking, compiling to experta, consulting and explaining."""
