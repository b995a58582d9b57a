import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
@Module({})
class M {}
async function main() { const app = await NestFactory.createApplicationContext(M); await app.close(); }
void main();
