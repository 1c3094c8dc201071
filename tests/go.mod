module cgoscope.test

go 1.19
