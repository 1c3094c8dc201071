module cgoscope.test/realworld/kafka

go 1.21

require (
	cgoscope.test v0.0.0
	github.com/confluentinc/confluent-kafka-go/v2 v2.11.1
)

replace cgoscope.test => ../..
