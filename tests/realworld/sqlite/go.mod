module cgoscope.test/realworld/sqlite

go 1.19

require (
	cgoscope.test v0.0.0
	github.com/mattn/go-sqlite3 v1.14.32
)

replace cgoscope.test => ../..
