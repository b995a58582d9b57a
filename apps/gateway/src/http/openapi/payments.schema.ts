import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PAYMENT_STATUSES, PAYOUT_STATUSES, PROVIDER_NAMES } from '@app/payments';

const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;

@ApiSchema({ name: 'Payer' })
export class PayerSchema {
  @ApiProperty({ example: 'John Smith' }) name: string;
  @ApiProperty({ example: 'john@example.com', format: 'email' }) email: string;
  @ApiPropertyOptional({ type: String, nullable: true }) reference?: string | null;
}

@ApiSchema({ name: 'Payee' })
export class PayeeSchema {
  @ApiPropertyOptional({ type: String, nullable: true }) name?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reference?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) bankId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) accountNumber?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) accountName?: string | null;
}

@ApiSchema({ name: 'Payment' })
export class PaymentSchema {
  @ApiProperty({ example: 'pay_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ enum: ['payment'] }) object: 'payment';
  @ApiProperty({ enum: [...PROVIDER_NAMES] }) provider: string;
  @ApiProperty({ type: String, nullable: true, description: 'null until the provider confirmed the payment' }) providerPaymentId: string | null;
  @ApiProperty({ type: 'integer', example: 12399, description: 'Minor units of the currency (12399 USD = 123.99)' }) amount: number;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: 'Membership' }) description: string;
  @ApiProperty({ type: String, nullable: true }) reference: string | null;
  @ApiProperty({ enum: [...PAYMENT_STATUSES] }) status: string;
  @ApiProperty({ type: String, nullable: true }) providerStatus: string | null;
  @ApiProperty() archived: boolean;
  @ApiProperty({ type: String, nullable: true }) checkoutUrl: string | null;
  @ApiProperty({ type: PayerSchema, nullable: true }) payer: PayerSchema | null;
  @ApiProperty({ type: PayeeSchema, nullable: true }) payee: PayeeSchema | null;
  @ApiProperty(STRING_MAP) metadata: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

@ApiSchema({ name: 'PaymentPage' })
export class PaymentPageSchema {
  @ApiProperty({ type: [PaymentSchema] }) data: PaymentSchema[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last' }) nextCursor: string | null;
}

@ApiSchema({ name: 'TransactionPayer' })
export class TransactionPayerSchema {
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) reference: string | null;
}

@ApiSchema({ name: 'Transaction' })
export class TransactionSchema {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['transaction'] }) object: 'transaction';
  @ApiProperty({ type: 'integer', nullable: true }) amount: number | null;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: ['succeeded', 'failed', 'pending'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) providerStatus: string | null;
  @ApiProperty({ type: String, nullable: true }) message: string | null;
  @ApiProperty({ type: TransactionPayerSchema, nullable: true }) payer: TransactionPayerSchema | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt: string | null;
}

@ApiSchema({ name: 'TransactionList' })
export class TransactionListSchema {
  @ApiProperty({ type: [TransactionSchema] }) data: TransactionSchema[];
}

@ApiSchema({ name: 'PayoutDestination' })
export class PayoutDestinationSchema {
  @ApiPropertyOptional() bankId?: string;
  @ApiPropertyOptional() accountNumber?: string;
  @ApiPropertyOptional() accountName?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) beneficiaryId?: string | null;
}

@ApiSchema({ name: 'Payout' })
export class PayoutSchema {
  @ApiProperty({ example: 'po_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ enum: ['payout'] }) object: 'payout';
  @ApiProperty({ enum: [...PROVIDER_NAMES] }) provider: string;
  @ApiProperty({ type: String, nullable: true }) providerPayoutId: string | null;
  @ApiProperty({ type: 'integer', example: 250000 }) amount: number;
  @ApiProperty({ example: 'NGN' }) currency: string;
  @ApiProperty({ enum: [...PAYOUT_STATUSES] }) status: string;
  @ApiProperty({ type: String, nullable: true }) providerStatus: string | null;
  @ApiProperty({ type: PayoutDestinationSchema, nullable: true }) destination: PayoutDestinationSchema | null;
  @ApiProperty({ type: String, nullable: true }) reference: string | null;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

@ApiSchema({ name: 'PayoutPage' })
export class PayoutPageSchema {
  @ApiProperty({ type: [PayoutSchema] }) data: PayoutSchema[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

@ApiSchema({ name: 'Beneficiary' })
export class BeneficiarySchema {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() bankId: string;
  @ApiProperty() accountNumber: string;
  @ApiProperty() accountName: string;
}

@ApiSchema({ name: 'BeneficiaryList' })
export class BeneficiaryListSchema {
  @ApiProperty({ type: [BeneficiarySchema] }) data: BeneficiarySchema[];
}
